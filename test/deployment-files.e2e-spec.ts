import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { userInfo, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { envVarDefinitions, loadConfig } from '@asr/config';
import { CLI, REPO_ROOT } from './support/processes';
import { SERVER_NODE_FLAGS } from '../apps/asr-api/src/node-flags';
import { startTestApp, type TestApp } from './support/test-app';

jest.setTimeout(60_000);

type Manifest = { kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown };
type Container = {
  ports: { name: string; containerPort: number }[];
  envFrom: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe: Probe;
  lifecycle: { preStop: { exec: { command: string[] } } };
  volumeMounts: { name: string; mountPath: string }[];
};
type Probe = { httpGet: { path: string; port: string } };

function run(command: string, args: string[], cwd = REPO_ROOT): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const manifests = (): Manifest[] =>
  parseAllDocuments(readFileSync(join(REPO_ROOT, 'k8s/asr-api.yaml'), 'utf8')).map((d) => d.toJSON() as Manifest);
const find = <T>(kind: string): T => manifests().find((m) => m.kind === kind) as T;

/** `USER` and `EXPOSE` of the Dockerfile's last stage. */
function dockerfile(): { uid: number; port: number; healthPath: string } {
  const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const last = text.slice(text.lastIndexOf('\nFROM '));
  return {
    uid: Number(/^USER (\d+)/m.exec(last)![1]),
    port: Number(/^EXPOSE (\d+)/m.exec(last)![1]),
    healthPath: /fetch\('http:\/\/127\.0\.0\.1:\d+(\/[a-z/]+)'\)/.exec(last)![1]!,
  };
}

describe('deployment files, checked against the code and by offline validators', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('renders the kustomize base to exactly the manifest `kubectl apply -f k8s/` applies', () => {
    const rendered = execFileSync('kubectl', ['kustomize', 'k8s/base'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const committed = readFileSync(join(REPO_ROOT, 'k8s/asr-api.yaml'), 'utf8').replace(/^#.*\n/, '');
    expect(committed).toBe(rendered);
    const kinds = manifests().map((m) => m.kind);
    for (const kind of ['Namespace', 'ConfigMap', 'Secret', 'PersistentVolumeClaim', 'Deployment', 'Service']) {
      expect(kinds).toContain(kind);
    }
    expect(kinds).toEqual(expect.arrayContaining(['Ingress', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']));
    expect(manifests().every((m) => m.kind === 'Namespace' || m.metadata.namespace === 'asr-api')).toBe(true);
  });

  it('keeps the manifests in step with the service: config keys, probes, ports, names, selectors, user, grace', async () => {
    const known = new Set(envVarDefinitions().map((d) => d.name));
    const config = find<{ data: Record<string, string> }>('ConfigMap').data;
    const secret = find<{ stringData: Record<string, string> }>('Secret').stringData;
    const unknown = [...Object.keys(config), ...Object.keys(secret)].filter((key) => !known.has(key));
    expect(unknown).toEqual([]);
    // The shipped values validate (empty secrets stand for unset ones).
    const env = Object.fromEntries(Object.entries({ ...config, ...secret }).filter(([, v]) => v !== ''));
    const loaded = loadConfig(env, REPO_ROOT);
    expect(loaded.ok ? [] : loaded.errors).toEqual([]);

    const deployment = find<{
      metadata: { name: string };
      spec: {
        selector: { matchLabels: Record<string, string> };
        template: {
          metadata: { labels: Record<string, string> };
          spec: {
            terminationGracePeriodSeconds: number;
            securityContext: { runAsNonRoot: boolean; runAsUser: number };
            containers: Container[];
            volumes: { name: string }[];
          };
        };
      };
    }>('Deployment');
    const pod = deployment.spec.template;
    const container = pod.spec.containers[0]!;
    const image = dockerfile();
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: image.uid });
    const port = container.ports.find((p) => p.name === 'http')!.containerPort;
    expect(port).toBe(image.port);
    expect(Number(config.API_PORT)).toBe(port);
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
      expect(probe.httpGet.port).toBe('http');
      expect((await fetch(`${t.url}${probe.httpGet.path}`)).status).toBe(200);
    }
    expect(container.livenessProbe.httpGet.path).toBe(image.healthPath);
    const names = new Set(container.envFrom.map((e) => e.configMapRef?.name ?? e.secretRef?.name));
    expect(names).toEqual(new Set(['asr-api-config', 'asr-api-secrets']));
    expect(
      manifests()
        .filter((m) => names.has(m.metadata.name))
        .map((m) => m.kind),
    ).toEqual(['ConfigMap', 'Secret']);
    // Storage paths are on mounted volumes (the root filesystem is read-only).
    const mounts = container.volumeMounts.map((m) => m.mountPath);
    for (const path of [config.AUDIO_STORAGE_PATH!, config.TEMP_STORAGE_PATH!]) {
      expect(mounts.some((m) => path.startsWith(`${m}/`) || path === m)).toBe(true);
    }
    // Termination grace covers the preStop pause, the drain and the grace for in-flight work.
    const preStopS = Number(container.lifecycle.preStop.exec.command.at(-1));
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(
      preStopS + Number(config.SHUTDOWN_DRAIN_S) + Number(config.SHUTDOWN_GRACE_S),
    );

    const labels = pod.metadata.labels;
    const matches = (selector: Record<string, string>): boolean =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(matches(deployment.spec.selector.matchLabels)).toBe(true);
    const service = find<{
      metadata: { name: string };
      spec: { selector: Record<string, string>; ports: { targetPort: string }[] };
    }>('Service');
    expect(service.metadata.name).toBe('asr-api-service');
    expect(matches(service.spec.selector)).toBe(true);
    expect(service.spec.ports[0]!.targetPort).toBe('http');
    expect(
      matches(
        find<{ spec: { selector: { matchLabels: Record<string, string> } } }>('PodDisruptionBudget').spec.selector
          .matchLabels,
      ),
    ).toBe(true);
    expect(
      find<{ spec: { scaleTargetRef: { name: string } } }>('HorizontalPodAutoscaler').spec.scaleTargetRef.name,
    ).toBe(deployment.metadata.name);
    const ingress = find<{ spec: { rules: { http: { paths: { backend: { service: { name: string } } }[] } }[] } }>(
      'Ingress',
    );
    expect(ingress.spec.rules[0]!.http.paths[0]!.backend.service.name).toBe('asr-api-service');
    const claim = find<{ metadata: { name: string }; spec: { accessModes: string[] } }>('PersistentVolumeClaim');
    expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
  });

  it('has a compose file docker-compose accepts with each profile, in step with the image', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-compose-'));
    copyFileSync(join(REPO_ROOT, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
    copyFileSync(join(REPO_ROOT, '.env.example'), join(dir, '.env'));
    symlinkSync(join(REPO_ROOT, 'deploy'), join(dir, 'deploy'));
    for (const profile of [[], ['--profile', 'with-nginx'], ['--profile', 'monitoring'], ['--profile', 'redis']]) {
      const result = run('docker-compose', [...profile, 'config', '-q'], dir);
      if (result.status !== 0) throw new Error(`docker-compose ${profile.join(' ')} config -q:\n${result.output}`);
    }
    const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<
        string,
        { ports?: string[]; volumes?: string[]; healthcheck?: { test: string[] }; profiles?: string[] }
      >;
    };
    const api = compose.services['asr-api']!;
    expect(api.ports).toContain(`${dockerfile().port}:${dockerfile().port}`);
    expect(api.healthcheck!.test.join(' ')).toContain(dockerfile().healthPath);
    for (const mount of Object.values(compose.services).flatMap((s) => s.volumes ?? [])) {
      const source = mount.split(':')[0]!;
      if (source.startsWith('./deploy/') && !source.includes('/certs/'))
        expect(existsSync(join(REPO_ROOT, source))).toBe(true);
    }
  });

  it('starts the server with its Node flags at every entry point: the image, npm start and the asr-api command', () => {
    expect(SERVER_NODE_FLAGS.length).toBeGreaterThan(0);
    const cmd = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').match(/^CMD (\[.*\])$/m)?.[1];
    expect(JSON.parse(cmd ?? '[]')).toEqual(['node', ...SERVER_NODE_FLAGS, 'dist/apps/asr-api/src/main.js']);
    const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.start).toBe(['node', ...SERVER_NODE_FLAGS, 'dist/apps/asr-api/src/main.js'].join(' '));
    expect(readFileSync(CLI, 'utf8').split('\n')[0]).toBe(
      `#!/usr/bin/env -S ${['node', ...SERVER_NODE_FLAGS].join(' ')}`,
    );
    // The shebang really runs: env -S splits it, and V8 takes the flag.
    expect(run(CLI, ['--version']).status).toBe(0);
  });

  it('has a systemd unit that systemd-analyze verifies and a logrotate file logrotate accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-systemd-'));
    // Paths of an installation (/opt/asr-api, the /usr/local/bin link) made to point at this checkout.
    const unit = readFileSync(join(REPO_ROOT, 'deploy/systemd/asr-api.service'), 'utf8')
      .replaceAll('/usr/local/bin/asr-api', CLI)
      .replaceAll('/opt/asr-api', REPO_ROOT);
    writeFileSync(join(dir, 'asr-api.service'), unit);
    const verified = run('systemd-analyze', ['verify', join(dir, 'asr-api.service')]);
    expect(verified.output.trim()).toBe('');
    expect(verified.status).toBe(0);
    expect(unit).toMatch(/^ExecStart=\S+ serve$/m);
    expect(unit).toMatch(/^NoNewPrivileges=true$/m);

    const me = userInfo().username;
    const rotation = readFileSync(join(REPO_ROOT, 'deploy/logrotate/asr-api'), 'utf8').replace(
      /su asr-api asr-api/,
      `su ${me} ${me}`,
    );
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logrotate'), rotation.replace('/var/log/asr-api', join(dir, 'logs')));
    const checked = run('logrotate', ['-d', '-s', join(dir, 'state'), join(dir, 'logrotate')]);
    expect(checked.output).not.toMatch(/error/i);
    expect(checked.status).toBe(0);
  });
});
