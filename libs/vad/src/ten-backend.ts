import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runInThisContext } from 'node:vm';
import { float32ToInt16 } from '@asr/audio';
import { FRAME_SAMPLES, type VadBackend, type VadFrame, type VadStreamState } from './vad-backend';

/** TEN-VAD analyses 256 samples (16 ms) a step; one of our 512-sample frames is two steps. */
const HOP = 256;

/** The exports of TEN-VAD's Emscripten module that this backend calls. */
interface TenVadModule {
  _ten_vad_create(handlePointer: number, hop: number, threshold: number): number;
  _ten_vad_process(handle: number, audio: number, length: number, probability: number, flag: number): number;
  _ten_vad_destroy(handlePointer: number): number;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  HEAP16: Int16Array;
  HEAP32: Int32Array;
  HEAPF32: Float32Array;
}

type CreateModule = (options: Record<string, unknown>) => Promise<TenVadModule>;

/** Where an operator's install of `@gooney-001/ten-vad-lib` is, if one can be found from here. */
export function findTenVadInstall(): string | undefined {
  try {
    // Its exports map hides package.json; resolving the entry point only finds the file, it does not run it.
    return dirname(require.resolve('@gooney-001/ten-vad-lib'));
  } catch {
    return undefined;
  }
}

/**
 * TEN-VAD (opt-in; its licence is not open source, see the README), from an installed `@gooney-001/ten-vad-lib`
 * directory that may be read-only: its WebAssembly glue is evaluated in memory (the package's own loader writes a
 * temporary file into its folder). One module instance; one native VAD instance per stream, freed with the stream.
 * It has no batch dimension: a batch is a loop, each frame about two hops of work.
 */
export class TenVadBackend implements VadBackend {
  readonly name = 'ten' as const;
  private readonly audio: number;
  private readonly probability: number;
  private readonly flag: number;

  private constructor(
    private readonly module: TenVadModule,
    private readonly threshold: number,
  ) {
    this.audio = module._malloc(HOP * 2);
    this.probability = module._malloc(4);
    this.flag = module._malloc(4);
  }

  static async load(directory: string, threshold: number): Promise<TenVadBackend> {
    const gluePath = join(directory, 'ten_vad.js');
    const wasmPath = join(directory, 'ten_vad.wasm');
    const glue = readFileSync(gluePath, 'utf8')
      .replace(/import\.meta\.url/g, JSON.stringify(pathToFileURL(gluePath).href))
      .replace(/export default createVADModule;/, 'module.exports = createVADModule;');
    const holder: { exports: unknown } = { exports: undefined };
    const evaluate = runInThisContext(`(function (module) {\n${glue}\n})`, { filename: gluePath }) as (
      module: typeof holder,
    ) => void;
    evaluate(holder);
    if (typeof holder.exports !== 'function') throw new Error(`${gluePath} does not export TEN-VAD's module factory`);
    const module = await (holder.exports as CreateModule)({
      wasmBinary: readFileSync(wasmPath),
      locateFile: () => wasmPath,
      noExitRuntime: true,
      print: () => undefined,
    });
    return new TenVadBackend(module, threshold);
  }

  newState(): VadStreamState {
    const handlePointer = this.module._malloc(4);
    if (this.module._ten_vad_create(handlePointer, HOP, this.threshold) !== 0) {
      this.module._free(handlePointer);
      throw new Error('TEN-VAD could not create an instance');
    }
    return { tenHandle: handlePointer };
  }

  releaseState(state: VadStreamState): void {
    if (state.tenHandle === undefined) return;
    this.module._ten_vad_destroy(state.tenHandle);
    this.module._free(state.tenHandle);
    state.tenHandle = undefined;
  }

  infer(frames: readonly VadFrame[]): Promise<Float32Array> {
    const out = new Float32Array(frames.length);
    frames.forEach(({ samples, state }, i) => {
      if (state.tenHandle === undefined) throw new Error('TEN-VAD state used after release');
      const handle = this.module.HEAP32[state.tenHandle >> 2]!;
      // A frame is speech if either of its halves is: the later one must not hide an onset in the first.
      const pcm = float32ToInt16(samples);
      let probability = 0;
      for (let hop = 0; hop < FRAME_SAMPLES; hop += HOP) {
        // HEAP16 is read each time: the heap is replaced when the module's memory grows.
        this.module.HEAP16.set(pcm.subarray(hop, hop + HOP), this.audio >> 1);
        this.module._ten_vad_process(handle, this.audio, HOP, this.probability, this.flag);
        probability = Math.max(probability, this.module.HEAPF32[this.probability >> 2]!);
      }
      out[i] = probability;
    });
    return Promise.resolve(out);
  }

  close(): Promise<void> {
    this.module._free(this.audio);
    this.module._free(this.probability);
    this.module._free(this.flag);
    return Promise.resolve();
  }
}
