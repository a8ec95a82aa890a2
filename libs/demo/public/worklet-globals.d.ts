// The AudioWorkletGlobalScope, which TypeScript's DOM library does not describe (pcm-worklet.js runs in it).
declare const sampleRate: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor): void;
