import { AudioError } from './audio-error';
import { WavStreamDecoder } from './wav-stream-decoder';

/** A WAV file with the given header fields and raw sample bytes. */
function wav(options: {
  tag?: number;
  channels?: number;
  rate?: number;
  bits: number;
  data: Buffer;
  extensible?: boolean;
  declared?: number;
}): Buffer {
  const { channels = 1, rate = 16000, bits, data } = options;
  const fmtSize = options.extensible ? 40 : 16;
  const fmt = Buffer.alloc(fmtSize);
  fmt.writeUInt16LE(options.extensible ? 0xfffe : (options.tag ?? 1), 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(rate, 4);
  fmt.writeUInt32LE((rate * channels * bits) / 8, 8);
  fmt.writeUInt16LE((channels * bits) / 8, 12);
  fmt.writeUInt16LE(bits, 14);
  if (options.extensible) fmt.writeUInt16LE(options.tag ?? 1, 24);
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(4 + 8 + fmtSize + 8 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  const fmtHead = Buffer.from('fmt     ', 'ascii');
  fmtHead.writeUInt32LE(fmtSize, 4);
  const dataHead = Buffer.from('data    ', 'ascii');
  dataHead.writeUInt32LE(options.declared ?? data.length, 4);
  return Buffer.concat([header, fmtHead, fmt, dataHead, data]);
}

/** Feeds the file in small pieces, as a network upload arrives. */
function decodeInPieces(file: Buffer, piece = 7): number[] {
  const decoder = new WavStreamDecoder();
  const out: number[] = [];
  for (let i = 0; i < file.length; i += piece) out.push(...decoder.push(file.subarray(i, i + piece)));
  decoder.finish();
  return out;
}

describe('WavStreamDecoder', () => {
  it('reads 16-bit PCM split at any byte', () => {
    const data = Buffer.alloc(8);
    [0, 16384, -16384, -32768].forEach((v, i) => data.writeInt16LE(v, i * 2));
    expect(decodeInPieces(wav({ bits: 16, data }))).toEqual([0, 0.5, -0.5, -1]);
  });

  it('reads 8-bit unsigned, 24-bit and 32-bit integers and 32-bit float', () => {
    expect(decodeInPieces(wav({ bits: 8, data: Buffer.from([128, 192, 64]) }))).toEqual([0, 0.5, -0.5]);
    const b24 = Buffer.alloc(6);
    b24.writeIntLE(4194304, 0, 3);
    b24.writeIntLE(-8388608, 3, 3);
    expect(decodeInPieces(wav({ bits: 24, data: b24 }))).toEqual([0.5, -1]);
    const b32 = Buffer.alloc(4);
    b32.writeInt32LE(-1073741824, 0);
    expect(decodeInPieces(wav({ bits: 32, data: b32 }))).toEqual([-0.5]);
    const f32 = Buffer.alloc(8);
    f32.writeFloatLE(0.25, 0);
    f32.writeFloatLE(-0.75, 4);
    expect(decodeInPieces(wav({ bits: 32, tag: 3, data: f32, extensible: true }))).toEqual([0.25, -0.75]);
  });

  it('averages channels to mono', () => {
    const data = Buffer.alloc(8);
    [16384, -16384, 8192, 8192].forEach((v, i) => data.writeInt16LE(v, i * 2));
    expect(decodeInPieces(wav({ bits: 16, channels: 2, data }))).toEqual([0, 0.25]);
  });

  it('refuses a file whose data ends before its header says', () => {
    const file = wav({ bits: 16, data: Buffer.alloc(100), declared: 200 });
    expect(() => decodeInPieces(file)).toThrow(/truncated: the header declares 200 data bytes, the file holds 100/);
  });

  it('refuses unsupported encodings with unsupported_format and a missing header with invalid_audio', () => {
    const alaw = wav({ bits: 8, tag: 6, data: Buffer.alloc(4) });
    const error = (() => {
      try {
        decodeInPieces(alaw);
      } catch (e) {
        return e as AudioError;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ code: 'unsupported_format' });
    expect(() => decodeInPieces(Buffer.from('RIFF\x00\x00\x00\x00WAVEfmt '))).toThrow('truncated header');
  });
});
