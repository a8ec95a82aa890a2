import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { childEnvironment } from '@asr/config';
import { childEnv, freePort, REPO_ROOT } from './support/processes';
import { librivoxSamples } from './support/speech';
import { corpusWer } from './support/wer';

jest.setTimeout(600_000);

const run = promisify(execFile);
const NOBODY = 65534;

/**
 * What the Dockerfile does, as far as a machine without a Docker engine can: the `deps` stage's commands word for
 * word, then the runtime stage's tree (dist + pruned node_modules) started as a non-root user under Node 22.
 */
describe("the Dockerfile's steps", () => {
  it('make a pruned production tree that boots as a non-root user under Node 22 and transcribes a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-image-'));
    chmodSync(dir, 0o755);
    // Node 22 from the npm registry (the image's base has it; this machine runs Node 20).
    const toolchain = join(dir, 'node22');
    // npm with this machine's environment (its registry, proxy and CA settings) and cache.
    // From the scratch folder, not the repository: node@22's install script runs npm again, and an npm started in
    // the repository may run its `prepare` (dist/ was once rebuilt during this suite, under other suites' servers).
    await run('npm', ['install', '--prefix', toolchain, '--no-audit', '--no-fund', 'node@22'], {
      cwd: dir,
      env: childEnvironment({}),
    });
    const node22 = join(toolchain, 'node_modules/node/bin/node');
    expect((await run(node22, ['--version'])).stdout).toMatch(/^v22\./);
    const npmCli = join(dirname(process.execPath), '../lib/node_modules/npm/bin/npm-cli.js');
    // npm runs on Node 22 (no native addon is compiled: every one ships prebuilt in its npm package).
    const env = childEnvironment({ PATH: `${dirname(node22)}:/usr/local/bin:/usr/bin:/bin` });

    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const deps = /FROM build AS deps\n[\s\S]*?\nRUN ([\s\S]*?)\n\n/.exec(dockerfile)![1]!.replace(/\\\n\s*/g, '');
    const app = join(dir, 'app');
    mkdirSync(app);
    for (const file of ['package.json', 'package-lock.json', '.env.example'])
      cpSync(join(REPO_ROOT, file), join(app, file));
    cpSync(join(REPO_ROOT, 'scripts'), join(app, 'scripts'), { recursive: true });
    await run('bash', ['scripts/setup-system.sh', '--runtime'], { cwd: app, env });
    // `cp /app/... .` is the build stage's copy, done above; the rest runs as written.
    const commands = deps
      .split('&&')
      .map((c) => c.trim())
      .filter((c) => !c.startsWith('cp '));
    expect(commands).toEqual(['npm ci --omit=dev --ignore-scripts --no-audit --no-fund', 'scripts/prune-runtime.sh .']);
    for (const command of commands) {
      const [program, ...args] = command.split(' ');
      await run(program === 'npm' ? node22 : program!, program === 'npm' ? [npmCli, ...args] : args, {
        cwd: app,
        env,
        maxBuffer: 1 << 24,
      });
    }
    cpSync(join(REPO_ROOT, 'dist'), join(app, 'dist'), { recursive: true });
    const ort = join(app, 'node_modules/onnxruntime-node/bin/napi-v6');
    expect(existsSync(join(ort, 'linux/x64'))).toBe(true);
    expect(['darwin', 'win32', 'linux/arm64'].filter((p) => existsSync(join(ort, p)))).toEqual([]);
    expect(existsSync(join(app, 'node_modules/jest'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/@libsql/linux-x64-gnu'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/@libsql/linux-x64-musl'))).toBe(false);
    const size = (await run('du', ['-sm', join(app, 'node_modules')])).stdout.split('\t')[0];

    // The runtime stage: its own user, data in a writable directory, everything else read-only to it.
    const data = join(dir, 'data');
    mkdirSync(data);
    const root = process.getuid?.() === 0;
    if (root) chownSync(data, NOBODY, NOBODY);
    const port = await freePort();
    const server = spawn(node22, ['dist/apps/asr-api/src/main.js'], {
      cwd: app,
      env: childEnv({
        NODE_ENV: 'production',
        API_HOST: '127.0.0.1',
        API_PORT: String(port),
        AUDIO_STORAGE_PATH: join(data, 'audio'),
        TEMP_STORAGE_PATH: join(data, 'tmp'),
        LOG_LEVEL: 'warn',
      }),
      ...(root ? { uid: NOBODY, gid: NOBODY } : {}),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (server.exitCode !== null) throw new Error(`the server exited ${server.exitCode}:\n${stderr}`);
        const ready = await fetch(`${url}/health/ready`).then(
          (r) => r.status,
          () => 0,
        );
        if (ready === 200) break;
        if (Date.now() > deadline) throw new Error(`not ready within 60 s:\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const sample = librivoxSamples()[1]!;
      const form = new FormData();
      form.append('file', new Blob([readFileSync(sample.file)]), 'sample.wav');
      const response = await fetch(`${url}/api/v1/transcribe`, { method: 'POST', body: form });
      expect(response.status).toBe(200);
      const { text } = (await response.json()) as { text: string };
      const wer = corpusWer([{ reference: sample.reference, hypothesis: text }]);
      console.log(
        `image tree: node_modules ${size} MB after pruning; Node 22 as uid ${root ? NOBODY : process.getuid?.()}; WER ${wer.toFixed(1)}% on ${sample.id}`,
      );
      expect(wer).toBeLessThanOrEqual(45);
    } finally {
      server.kill('SIGKILL');
    }
  });
});
