// @ts-check
/**
 * The microphone as 100 ms blocks of 16 kHz signed 16-bit PCM. The browser's own echo cancellation, noise
 * suppression and gain control are off: they are tuned for calls, and they distort what the recogniser hears.
 */

export class MicrophoneError extends Error {
  /** @param {'unsupported' | 'denied' | 'not_found' | 'busy' | 'failed'} kind @param {string} message */
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

/** @param {unknown} error */
function explain(error) {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return new MicrophoneError(
      'denied',
      'Microphone access was denied. Allow the microphone for this site in the browser, then press Start again.',
    );
  if (name === 'NotFoundError' || name === 'OverconstrainedError')
    return new MicrophoneError('not_found', 'No microphone was found. Connect one, then press Start again.');
  if (name === 'NotReadableError' || name === 'AbortError')
    return new MicrophoneError('busy', 'The microphone is in use by another program or could not be started.');
  return new MicrophoneError('failed', `The microphone could not be started: ${String(error)}`);
}

export class Microphone {
  /**
   * @param {(pcm: ArrayBuffer) => void} onBlock
   * @param {(level: number) => void} onLevel input level, 0 (−60 dBFS or quieter) to 1 (full scale)
   */
  constructor(onBlock, onLevel) {
    this.onBlock = onBlock;
    this.onLevel = onLevel;
    /** @type {MediaStream | undefined} */ this.stream = undefined;
    /** @type {AudioContext | undefined} */ this.context = undefined;
  }

  async start() {
    if (!navigator.mediaDevices?.getUserMedia)
      throw new MicrophoneError(
        'unsupported',
        'This browser offers the microphone only to pages served over https:// (or from localhost).',
      );
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
      });
    } catch (error) {
      throw explain(error);
    }
    // 'playback': the largest buffers the browser offers. Nothing here is heard, and the 100 ms blocks add more
    // delay than the buffers do; a busy machine then drops no audio (small buffers glitch, and glitches cost words).
    const context = new AudioContext({ latencyHint: 'playback' });
    this.context = context;
    await context.audioWorklet.addModule(new URL('pcm-worklet.js', import.meta.url));
    const source = context.createMediaStreamSource(this.stream);
    const encoder = new AudioWorkletNode(context, 'pcm-encoder', { numberOfInputs: 1, numberOfOutputs: 1 });
    encoder.port.onmessage = (/** @type {MessageEvent<{pcm: ArrayBuffer, rms: number}>} */ event) => {
      const { pcm, rms } = event.data;
      this.onLevel(rms > 0 ? Math.max(0, Math.min(1, 1 + (20 * Math.log10(rms)) / 60)) : 0);
      this.onBlock(pcm);
    };
    // A node that reaches no destination may not be pulled by the audio graph: route it through a muted gain.
    const mute = context.createGain();
    mute.gain.value = 0;
    source.connect(encoder).connect(mute).connect(context.destination);
    await context.resume();
  }

  async stop() {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = undefined;
    const context = this.context;
    this.context = undefined;
    this.onLevel(0);
    if (context && context.state !== 'closed') await context.close();
  }
}
