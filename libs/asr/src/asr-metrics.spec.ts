import { Counter, Histogram, Registry } from 'prom-client';
import { AsrMetrics } from './asr-metrics';

/** The metric's samples as `labels → value`, from a registry of this test's own. */
async function samples(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric(name)!.get();
  return Object.fromEntries(
    metric.values.map((v) => [
      `${(v as { metricName?: string }).metricName ?? name}${JSON.stringify(v.labels)}`,
      v.value,
    ]),
  );
}

function metricsIn(registry: Registry): AsrMetrics {
  const registers = [registry];
  return new AsrMetrics(
    new Counter({ name: 't', help: 't', labelNames: ['provider', 'status'], registers }),
    new Histogram({ name: 'd', help: 'd', labelNames: ['provider'], buckets: [1, 10], registers }),
    new Counter({ name: 'a', help: 'a', labelNames: ['provider'], registers }),
    new Histogram({ name: 'r', help: 'r', labelNames: ['provider'], buckets: [0.5, 1], registers }),
    new Counter({ name: 'e', help: 'e', labelNames: ['provider', 'kind'], registers }),
  );
}

describe('AsrMetrics', () => {
  it('counts a success with its wall time, audio seconds and real-time factor', async () => {
    const registry = new Registry();
    const metrics = metricsIn(registry);
    metrics.succeeded('local', 10, 2);
    expect(await samples(registry, 't')).toEqual({ 't{"provider":"local","status":"ok"}': 1 });
    expect(await samples(registry, 'a')).toEqual({ 'a{"provider":"local"}': 10 });
    expect(await samples(registry, 'd')).toMatchObject({ 'd_sum{"provider":"local"}': 2 });
    expect(await samples(registry, 'r')).toMatchObject({ 'r_sum{"provider":"local"}': 0.2 });
  });

  it('observes no real-time factor for a chunk without audio', async () => {
    const registry = new Registry();
    metricsIn(registry).succeeded('openai', 0, 0.5);
    expect(await samples(registry, 'r')).toEqual({});
    expect(await samples(registry, 'd')).toMatchObject({ 'd_count{"provider":"openai"}': 1 });
  });

  it('counts a failure by provider and kind', async () => {
    const registry = new Registry();
    const metrics = metricsIn(registry);
    metrics.failed('openai', 'provider_timeout');
    metrics.failed('openai', 'provider_timeout');
    expect(await samples(registry, 't')).toEqual({ 't{"provider":"openai","status":"error"}': 2 });
    expect(await samples(registry, 'e')).toEqual({ 'e{"provider":"openai","kind":"provider_timeout"}': 2 });
  });
});
