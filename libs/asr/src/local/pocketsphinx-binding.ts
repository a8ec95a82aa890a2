import koffi from 'koffi';

/** Typed handles on libpocketsphinx.so.3 / libsphinxbase.so.3 (Debian's 5prealpha), loaded through koffi. */
export interface PocketSphinxLibrary {
  init(hmm: string, lm: string, dict: string): Promise<unknown>;
  /**
   * A new stream, normalised as a fresh decoder is: the model's cepstral-mean method and starting mean are put back,
   * so no answer depends on what the decoder heard before (see `NormalisationReset`).
   */
  startStream(decoder: unknown): void;
  startUtterance(decoder: unknown): void;
  /**
   * Runs in a worker thread: the event loop stays free while the engine searches. `fullUtterance` normalises over
   * the whole block (batch CMN), which is what a complete chunk wants; live audio passes false.
   */
  processRaw(decoder: unknown, pcm: Int16Array, fullUtterance: boolean): Promise<void>;
  endUtterance(decoder: unknown): Promise<void>;
  hypothesis(decoder: unknown): string;
  segments(decoder: unknown): { word: string; startFrame: number; endFrame: number; probability: number }[];
  free(decoder: unknown): void;
}

type AsyncCallable = { async: (...args: unknown[]) => void };

/**
 * Offsets in sphinxbase 5prealpha's structs on x86-64 (`feat.h`, `cmn.h` of libsphinxbase-dev 0.8+5prealpha+1-16):
 * `feat_t.cepsize`, `feat_t.cmn` (the CMN method), `feat_t.cmn_struct`, and `cmn_t.veclen`. They are checked
 * against each other when a decoder loads (`captureNormalisation`), so another layout fails there, before anything
 * is written.
 */
const FEAT_CEPSIZE_OFFSET = 16;
const FEAT_CMN_OFFSET = 68;
const FEAT_CMN_STRUCT_OFFSET = 88;
const CMN_VECLEN_OFFSET = 28;
const CMN_NONE = 0;
const CMN_LIVE = 2;

/**
 * Why streams need a reset. The en-us model normalises in batch (`-cmn batch`: each utterance by its own mean), and
 * that is what a whole-utterance decode uses, so those are the same whatever came before. But audio fed piece by
 * piece (live partials) makes sphinxbase switch the decoder to live normalisation for good (`feat_cmn` rewrites
 * `fcb->cmn`), carrying a running mean from utterance to utterance: every later decode on that decoder, uploads
 * too, then depended on who used it before, and the same utterance streamed twice gave different finals. The reset
 * restores the method the model configured and the starting mean it had when loaded.
 */
interface NormalisationReset {
  feat: unknown;
  cmn: unknown;
  method: number;
  initialMean: Float32Array;
}

function callAsync<T>(fn: AsyncCallable, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    fn.async(...args, (error: unknown, result: T) =>
      error ? reject(error instanceof Error ? error : new Error('koffi async call failed')) : resolve(result),
    );
  });
}

/** Loads the shared libraries; throws with the library name when they are missing. */
export function loadPocketSphinx(): PocketSphinxLibrary {
  const sphinxbase = koffi.load('libsphinxbase.so.3');
  const ps = koffi.load('libpocketsphinx.so.3');
  const psArgs = ps.func('void *ps_args()');
  const cmdLnInit = sphinxbase.func('void *cmd_ln_init(void *inout, void *defn, int strict, ...)');
  const cmdLnFree = sphinxbase.func('int cmd_ln_free_r(void *config)');
  const psInit = ps.func('void *ps_init(void *config)') as unknown as AsyncCallable;
  const psStartStream = ps.func('int ps_start_stream(void *ps)');
  const psStartUtt = ps.func('int ps_start_utt(void *ps)');
  const psProcessRaw = ps.func(
    'int ps_process_raw(void *ps, const int16_t *data, size_t n, int no_search, int full_utt)',
  ) as unknown as AsyncCallable;
  const psEndUtt = ps.func('int ps_end_utt(void *ps)') as unknown as AsyncCallable;
  const psGetHyp = ps.func('const char *ps_get_hyp(void *ps, _Out_ int *score)');
  const psSegIter = ps.func('void *ps_seg_iter(void *ps)');
  const psSegNext = ps.func('void *ps_seg_next(void *seg)');
  const psSegWord = ps.func('const char *ps_seg_word(void *seg)');
  const psSegFrames = ps.func('void ps_seg_frames(void *seg, _Out_ int *sf, _Out_ int *ef)');
  const psSegProb = ps.func('int ps_seg_prob(void *seg, _Out_ int *ascr, _Out_ int *lscr, _Out_ int *lback)');
  const psGetLogmath = ps.func('void *ps_get_logmath(void *ps)');
  const logmathExp = sphinxbase.func('double logmath_exp(void *lmath, int p)');
  const psFree = ps.func('int ps_free(void *ps)');
  const psGetFeat = ps.func('void *ps_get_feat(void *ps)');
  const cmnLiveGet = sphinxbase.func('void cmn_live_get(void *cmn, _Out_ float *vec)');
  const cmnLiveSet = sphinxbase.func('void cmn_live_set(void *cmn, const float *vec)');
  // Keyed by the decoder's address (koffi's pointers are not objects a WeakMap can hold); `free` forgets it.
  const resets = new Map<bigint, NormalisationReset>();

  /** What a freshly loaded decoder normalises with, read once so each stream can start from it again. */
  const captureNormalisation = (decoder: unknown): void => {
    const feat: unknown = psGetFeat(decoder);
    if (!feat) throw new Error('ps_get_feat returned no feature extractor');
    const cepsize = koffi.decode(feat, FEAT_CEPSIZE_OFFSET, 'int') as number;
    const method = koffi.decode(feat, FEAT_CMN_OFFSET, 'int') as number;
    const cmn: unknown = koffi.decode(feat, FEAT_CMN_STRUCT_OFFSET, 'void *');
    const layout = `not sphinxbase 0.8+5prealpha on x86-64? (cepsize ${cepsize}, cmn method ${method})`;
    if (cepsize < 1 || cepsize > 64 || method < CMN_NONE || method > CMN_LIVE || (method !== CMN_NONE && !cmn)) {
      throw new Error(`unexpected feature layout: ${layout}`);
    }
    const veclen = cmn ? (koffi.decode(cmn, CMN_VECLEN_OFFSET, 'int') as number) : 0;
    if (cmn && veclen !== cepsize) throw new Error(`unexpected CMN layout (veclen ${veclen}): ${layout}`);
    const initialMean = new Float32Array(veclen);
    if (cmn) cmnLiveGet(cmn, initialMean);
    // A fixed-point build (mfcc_t as int32) would read back as tiny or absurd floats.
    const plausible = initialMean.every((value) => Number.isFinite(value) && Math.abs(value) < 1e4);
    if (!plausible || (veclen > 0 && !initialMean.some((value) => Math.abs(value) > 1e-3))) {
      throw new Error(`unexpected CMN mean ${initialMean.join(',')}: ${layout}`);
    }
    resets.set(koffi.address(decoder), { feat, cmn, method, initialMean });
  };

  const resetNormalisation = (decoder: unknown): void => {
    const reset = resets.get(koffi.address(decoder));
    if (!reset) throw new Error('a decoder not made by this library');
    koffi.encode(reset.feat, FEAT_CMN_OFFSET, 'int', reset.method);
    if (reset.cmn) cmnLiveSet(reset.cmn, reset.initialMean);
  };

  return {
    async init(hmm, lm, dict) {
      const config: unknown = cmdLnInit(
        null,
        psArgs(),
        1,
        'str',
        '-hmm',
        'str',
        hmm,
        'str',
        '-lm',
        'str',
        lm,
        'str',
        '-dict',
        'str',
        dict,
        // The engine's own chatter goes nowhere; failures surface as a null decoder.
        'str',
        '-logfn',
        'str',
        '/dev/null',
        'void *',
        null,
      );
      if (!config) throw new Error('cmd_ln_init rejected the model paths');
      const decoder = await callAsync<unknown>(psInit, config);
      // ps_init took its own reference on the configuration.
      cmdLnFree(config);
      if (!decoder) throw new Error(`ps_init failed for hmm=${hmm} lm=${lm} dict=${dict}`);
      try {
        captureNormalisation(decoder);
      } catch (error) {
        psFree(decoder);
        throw error;
      }
      return decoder;
    },
    startStream: (decoder) => {
      resetNormalisation(decoder);
      psStartStream(decoder);
    },
    startUtterance: (decoder) => void psStartUtt(decoder),
    processRaw: async (decoder, pcm, fullUtterance) => {
      await callAsync<number>(psProcessRaw, decoder, pcm, pcm.length, 0, fullUtterance ? 1 : 0);
    },
    endUtterance: async (decoder) => {
      await callAsync<number>(psEndUtt, decoder);
    },
    hypothesis: (decoder) => (psGetHyp(decoder, [0]) as string | null) ?? '',
    segments: (decoder) => {
      const logmath: unknown = psGetLogmath(decoder);
      const out: ReturnType<PocketSphinxLibrary['segments']> = [];
      for (let seg: unknown = psSegIter(decoder); seg; seg = psSegNext(seg)) {
        const start = [0];
        const end = [0];
        psSegFrames(seg, start, end);
        const logProbability = psSegProb(seg, [0], [0], [0]) as number;
        out.push({
          word: psSegWord(seg) as string,
          startFrame: start[0]!,
          endFrame: end[0]!,
          probability: logmathExp(logmath, logProbability) as number,
        });
      }
      return out;
    },
    free: (decoder) => {
      resets.delete(koffi.address(decoder));
      psFree(decoder);
    },
  };
}
