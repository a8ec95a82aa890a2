/**
 * How many hypotheses in a row must agree on a word (and every word before it) before it is sent as a delta: two,
 * "the same across consecutive partials". The embedded engine's final decodes the whole utterance again (with the
 * whole utterance's normalisation) and can differ from its live hypotheses anywhere, also on words the live
 * hypotheses never changed: over two runs of the test speech at real time (52 utterances with live hypotheses),
 * finals contradicted what was sent in 19 agreeing on 2 and 15 on 3, while the utterances of 3 s or more without a
 * delta a second before their end went from 8 to 14 (a live hypothesis that stalls leaves too few to agree). No count
 * makes the contradictions go away; liveness is asked for, so two. docs/asyncapi-realtime.yaml, "Deltas", says what
 * a client gets then.
 */
export const STABLE_AGREEMENT = 2;

/** What the final says about the deltas sent before it. */
export interface FinalRest {
  /** The text still to append: the final's words after those already sent (with the space before them). */
  rest: string;
  /** False when the final does not begin with what was sent: the deltas then do not add up to it. */
  extends: boolean;
}

/**
 * Turns hypotheses that replace each other (each partial is the engine's whole current hypothesis) into text that
 * only grows, as OpenAI's deltas do: a word is sent once it, and every word before it, has been the same in the last
 * `agreement` hypotheses, and what was sent is never taken back. At the final the rest is sent, so the deltas
 * concatenate exactly to the final transcript whenever the final begins with what was sent.
 */
export class StablePrefix {
  private readonly recent: string[][] = [];
  private sent: string[] = [];

  constructor(private readonly agreement = STABLE_AGREEMENT) {}

  /** The words sent so far, as the deltas add up. */
  get text(): string {
    return this.sent.join(' ');
  }

  /**
   * A new hypothesis. Returns the delta to send ('' for none); with `mayEmit` false (a slow reader) nothing is sent
   * now, and what would have been is sent with a later delta.
   */
  partial(hypothesis: string, mayEmit = true): string {
    this.recent.push(wordsOf(hypothesis));
    if (this.recent.length > this.agreement) this.recent.shift();
    if (!mayEmit || this.recent.length < this.agreement) return '';
    const stable = commonPrefix(this.recent);
    // Only ever appended to: a stable prefix that contradicts what was sent waits for the final.
    if (stable.length <= this.sent.length || !startsWith(stable, this.sent)) return '';
    const added = stable.slice(this.sent.length);
    const delta = (this.sent.length > 0 ? ' ' : '') + added.join(' ');
    this.sent = stable;
    return delta;
  }

  /** The final transcript (whitespace as `normalizeTranscript` leaves it). */
  final(transcript: string): FinalRest {
    const sent = this.text;
    if (sent === '') return { rest: transcript, extends: true };
    if (transcript === sent) return { rest: '', extends: true };
    if (transcript.startsWith(`${sent} `)) return { rest: transcript.slice(sent.length), extends: true };
    return { rest: '', extends: false };
  }
}

/** Runs of whitespace as one space, none at the ends: the form deltas are built in. */
export function normalizeTranscript(text: string): string {
  return wordsOf(text).join(' ');
}

function wordsOf(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '');
}

function commonPrefix(lists: readonly string[][]): string[] {
  const [first, ...rest] = lists;
  if (!first) return [];
  let length = first.length;
  for (const list of rest) {
    let i = 0;
    while (i < length && i < list.length && list[i] === first[i]) i += 1;
    length = i;
  }
  return first.slice(0, length);
}

function startsWith(words: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((word, i) => words[i] === word);
}
