import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { REPO_ROOT } from './processes';

/** Debian's Chromium (apt package `chromium`): tests never download a browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Where browser tests leave screenshots for people to look at (CI keeps the folder). */
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts');

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, name);
}

/**
 * Headless Chromium whose microphone plays `microphoneWav` once (then silence). The network flags keep it from
 * reaching for Google's services, which this machine's closed network refuses.
 */
export function launchChromium(microphoneWav: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${microphoneWav}%noloop`,
    ],
  });
}
