import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeWav } from '@asr/audio';
import { FakeOpenAi } from './support/fake-openai';
import { finished, submitJob, waitForJob } from './support/jobs';
import { sequence, speak } from './support/mixes';
import { REPO_ROOT } from './support/processes';
import { streamOnce, toPcm16 } from './support/stream-client';
import { startTestApp, type TestApp } from './support/test-app';

jest.setTimeout(120_000);

const PROMETHEUS = join(REPO_ROOT, 'deploy/prometheus');
const DASHBOARD = join(REPO_ROOT, 'deploy/grafana/dashboards/asr-api.json');

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: PROMETHEUS, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Metric names an expression reads, as the service would export them (histogram series included). */
function metricNames(expression: string): string[] {
  return [...expression.matchAll(/\b((?:asr|nodejs|process)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
}

describe('monitoring: the Prometheus config, alert rules and Grafana dashboard against the running service', () => {
  const fake = new FakeOpenAi();
  let t: TestApp;
  let metrics: string;

  beforeAll(async () => {
    await fake.start();
    t = await startTestApp({ env: { ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: fake.url } });
    // Traffic on every path, so the labelled series and histograms exist.
    const audio = sequence(speak(['The meeting starts at nine.'])).clean;
    const wav = join(t.dir, 'speech.wav');
    writeFileSync(wav, encodeWav(audio));
    const form = new FormData();
    form.append('file', new Blob([readFileSync(wav)]), 'speech.wav');
    expect((await fetch(`${t.url}/api/v1/transcribe`, { method: 'POST', body: form })).status).toBe(200);
    expect((await fetch(`${t.url}/no-such-route`)).status).toBe(404);
    fake.will({ kind: 'status', status: 500 }, { kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    const failing = new FormData();
    failing.append('file', new Blob([readFileSync(wav)]), 'speech.wav');
    await fetch(`${t.url}/api/v1/transcribe`, { method: 'POST', body: failing });
    fake.reset();
    await waitForJob(t.url, (await submitJob(t.url, wav)).body.id as string, finished);
    await streamOnce(t.url, toPcm16(audio), { bytesPerSecond: 32_000, pace: 0, query: 'interim_results=false' });
    metrics = await (await fetch(`${t.url}/metrics`)).text();
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });

  it('passes `promtool check metrics` after traffic', () => {
    const result = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });

  it('has a valid Prometheus config and alert rules whose unit tests pass', () => {
    for (const args of [
      ['check', 'config', 'prometheus.yml'],
      ['check', 'rules', 'alerts.yml'],
      ['test', 'rules', 'alerts.test.yml'],
    ]) {
      const result = promtool(...args);
      if (result.status !== 0) throw new Error(`promtool ${args.join(' ')}:\n${result.output}`);
    }
  });

  it('uses in its alerts and dashboard only metrics the service exports', () => {
    const exported = new Set([...metrics.matchAll(/^([a-z_:][a-z0-9_:]*)[{ ]/gm)].map((m) => m[1]!));
    const rules = readFileSync(join(PROMETHEUS, 'alerts.yml'), 'utf8');
    const ruleNames = [...rules.matchAll(/^\s*expr: (?:\|\n)?([\s\S]*?)(?=\n\s*(?:for|labels):)/gm)].flatMap((m) =>
      metricNames(m[1]!),
    );
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const panelNames = dashboard.panels.flatMap((p) => p.targets.flatMap((target) => metricNames(target.expr)));
    expect(ruleNames.length).toBeGreaterThan(5);
    expect(panelNames.length).toBeGreaterThan(10);
    const missing = [...new Set([...ruleNames, ...panelNames])].filter((name) => !exported.has(name));
    expect(missing).toEqual([]);
    // Every panel reads a datasource the provisioning defines.
    const datasources = readFileSync(join(REPO_ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8');
    const uid = /uid: (\S+)/.exec(datasources)![1]!;
    expect(JSON.stringify(dashboard)).not.toMatch(new RegExp(`"uid":\\s*"(?!${uid}|asr-api")`));
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
  });
});
