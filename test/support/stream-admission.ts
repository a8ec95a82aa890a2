import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from './stream-client';
import { waitFor } from './wait';

type Opened = Awaited<ReturnType<typeof connect>>;

export interface Admission {
  stream: Opened;
  /** `admitted` (session.started), or the code of the fatal error the server refused it with. */
  outcome: string;
}

/** What became of an opened connection: a session, or a refusal (error + close) such as too_many_streams. */
export async function admissionOf(stream: Opened, timeoutMs = 20_000): Promise<Admission> {
  const decided = (): string | undefined => {
    const first = stream.messages[0];
    if (first?.type === 'session.started') return 'admitted';
    if (first?.type === 'error') return String(first.code);
    return undefined;
  };
  await waitFor(() => decided() !== undefined, { what: 'session.started or a refusal', timeoutMs, everyMs: 10 });
  return { stream, outcome: decided()! };
}

/** `count` handshakes sent at once (not one after another), and what became of each. */
export async function openAtOnce(url: string, headers: Record<string, string>, count: number): Promise<Admission[]> {
  const streams = await Promise.all(Array.from({ length: count }, () => connect(url, headers)));
  return Promise.all(streams.map((stream) => admissionOf(stream)));
}

/** How many of each outcome: `{ admitted: 1, too_many_streams: 7 }`. */
export function tally(admissions: Admission[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { outcome } of admissions) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

/** Ends every admitted stream with a close message and waits until the server has closed them all. */
export async function closeAll(admissions: Admission[]): Promise<void> {
  for (const { stream, outcome } of admissions)
    if (outcome === 'admitted') stream.socket.send(JSON.stringify({ type: 'close' }));
  const open = new Set(admissions.map((_, i) => i));
  const runs = admissions.map(({ stream }, i) => stream.run.then(() => open.delete(i)));
  const timer = new AbortController();
  const late = sleep(30_000, undefined, { signal: timer.signal }).then(() => {
    const left = [...open].map((i) => `${i} (${admissions[i]!.outcome})`).join(', ');
    throw new Error(`streams ${left} were not closed by the server within 30 s`);
  });
  try {
    await Promise.race([Promise.all(runs), late]);
  } finally {
    timer.abort();
  }
}
