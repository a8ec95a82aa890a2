import { Writable } from 'node:stream';

/** Keeps every log line, so tests can assert on real log output. */
export class LogCapture {
  readonly lines: string[] = [];

  get text(): string {
    return this.lines.join('\n');
  }

  records(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

/**
 * nestjs-pino builds its pino-http instance once per process, with the first app's destination and level.
 * Every test app therefore gets this one stream, which hands lines to the capture of the app started last.
 * Tests that need another log configuration (level, file) live in a test file of their own.
 */
class CurrentCaptureStream extends Writable {
  current = new LogCapture();

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.current.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    callback();
  }
}

export const logStream = new CurrentCaptureStream();

export function newLogCapture(): LogCapture {
  logStream.current = new LogCapture();
  return logStream.current;
}
