// How a benchmark client speaks each live protocol the server serves: where it connects, what it sends first, how
// one 20 ms frame of audio goes on the wire, and which server messages mark the end of speech and its final.
// Frames are encoded once, ahead (Realtime's base64 JSON too), so the load generator's cost per frame is one send
// whatever the protocol: what differs between protocols is the server's work.
import { execFileSync } from 'node:child_process';

export const FRAME_MS = 20;
export const PROTOCOLS = ['native', 'deepgram', 'realtime'];

/** 16-bit mono PCM at 16 kHz (the bench loop) resampled by sox to `rate`. */
export function resampledLoop(loop16k, rate) {
  if (rate === 16000) return loop16k;
  return execFileSync(
    'sox',
    ['-t', 'raw', '-r', '16000', '-e', 'signed', '-b', '16', '-c', '1', '-', '-t', 'raw', '-r', String(rate), '-'],
    { input: loop16k, maxBuffer: 1 << 28 },
  );
}

/**
 * What a client of `protocol` (native, deepgram or realtime) sends and reads, for 16-bit PCM at `rate`.
 * `interimResults`: whether the session asks for previews, where the protocol lets it choose (Realtime always
 * sends deltas; the server's AUDIO_CHUNK_DURATION decides whether a remote provider is asked for them).
 *   path: the URL's path and query; opening: text frames sent once the socket is open;
 *   frames(loop): one payload per 20 ms of `loop`, with `binary` telling the frame type;
 *   read(message): the parsed server message as {stopped: key, end} (the end of speech, seconds on the session's
 *   clock), {final: key}, {final: undefined, end} (a final that carries its own end), {partial}, {error} or {}.
 */
export function protocolClient(protocol, { rate = 16000, interimResults = false } = {}) {
  const frameBytes = (rate * 2 * FRAME_MS) / 1000;
  const views = (loop) => {
    const frames = [];
    for (let at = 0; at + frameBytes <= loop.length; at += frameBytes) frames.push(loop.subarray(at, at + frameBytes));
    return frames;
  };
  switch (protocol) {
    case 'native': {
      const query = new URLSearchParams();
      if (!interimResults) query.set('interim_results', 'false');
      if (rate !== 16000) query.set('sample_rate', String(rate));
      return {
        name: `native ${rate / 1000} kHz`,
        rate,
        frameBytes,
        path: `/api/v1/stream${query.size > 0 ? `?${query}` : ''}`,
        opening: [],
        frames: (loop) => ({ frames: views(loop), binary: true }),
        read: (m) => {
          if (m.type === 'speech.stopped') return { stopped: m.segment_id, end: m.end };
          if (m.type === 'transcript.partial') return { partial: true };
          if (m.type === 'transcript.final') return { final: m.segment_id };
          if (m.type === 'error') return { error: m.message ?? m.code };
          return {};
        },
      };
    }
    case 'deepgram':
      return {
        name: `deepgram ${rate / 1000} kHz`,
        rate,
        frameBytes,
        path: `/v1/listen?encoding=linear16&sample_rate=${rate}&interim_results=${interimResults}`,
        opening: [],
        frames: (loop) => ({ frames: views(loop), binary: true }),
        // Deepgram has no end-of-speech message of its own (UtteranceEnd comes after a gap): a final result
        // carries where its utterance ended, which is where the native protocol's speech.stopped says it ended.
        read: (m) => {
          if (m.type !== 'Results') return {};
          if (!m.is_final) return { partial: true };
          return { final: undefined, end: m.start + m.duration };
        },
      };
    case 'realtime': {
      const session = {
        type: 'transcription',
        audio: { input: { format: { type: 'audio/pcm', rate } } },
      };
      return {
        // OpenAI's own service takes 24 kHz PCM only; this server resamples any rate of 16-bit PCM.
        name: `realtime ${rate / 1000} kHz`,
        rate,
        frameBytes,
        path: '/v1/realtime?intent=transcription',
        opening: [JSON.stringify({ type: 'session.update', session })],
        // Each frame as the openai SDK sends it, already JSON with its audio in base64, as bytes: sent as a text
        // frame with no conversion on the way out.
        frames: (loop) => ({
          frames: views(loop).map((pcm) =>
            Buffer.from(JSON.stringify({ type: 'input_audio_buffer.append', audio: pcm.toString('base64') })),
          ),
          binary: false,
        }),
        read: (m) => {
          if (m.type === 'input_audio_buffer.speech_stopped') return { stopped: m.item_id, end: m.audio_end_ms / 1000 };
          if (m.type === 'conversation.item.input_audio_transcription.delta') return { partial: true };
          if (m.type === 'conversation.item.input_audio_transcription.completed') return { final: m.item_id };
          if (m.type === 'conversation.item.input_audio_transcription.failed') return { error: m.error?.message };
          if (m.type === 'error') return { error: m.error?.message };
          return {};
        },
      };
    }
    default:
      throw new Error(`unknown protocol ${protocol}: one of ${PROTOCOLS.join(', ')}`);
  }
}
