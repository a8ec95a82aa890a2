import type { ResolvedAddress, Resolver } from '../../libs/jobs/src/target-policy';

/** A resolver that answers from a script and counts its calls; a name it was not given fails the test. */
export function scripted(answers: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = (host: string): Promise<ResolvedAddress[]> => {
    calls.push(host);
    const script = answers[host];
    if (!script) throw new Error(`unexpected lookup of ${host}`);
    return Promise.resolve(script.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return Object.assign(resolve, { calls });
}
