import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-info';

export interface Requirement {
  name: string;
  present: boolean;
  neededFor: string;
}

/** Installs what is missing (through sudo when not root); the same script the README, CI and Dockerfile use. */
export const SETUP_COMMAND = join(PACKAGE_ROOT, 'scripts', 'setup-system.sh');

function commandRuns(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 5000 });
  return result.error === undefined && result.status === 0;
}

function sharedLibraryPresent(soname: string): boolean {
  const ldconfig = spawnSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8', timeout: 5000 });
  return ldconfig.status === 0 && ldconfig.stdout.includes(soname);
}

/** What the service needs from the operating system; `asr-api init` reports the missing ones. */
export function checkSystemRequirements(): Requirement[] {
  return [
    {
      name: 'ffmpeg',
      present: commandRuns('ffmpeg', ['-version']),
      neededFor: 'decoding mp3, ogg, m4a, webm and flac uploads',
    },
    {
      name: 'libpocketsphinx3',
      present: sharedLibraryPresent('libpocketsphinx.so.3'),
      neededFor: 'the embedded speech engine (ASR_PROVIDER=local)',
    },
    {
      name: 'pocketsphinx-en-us',
      present: existsSync('/usr/share/pocketsphinx/model/en-us/en-us'),
      neededFor: 'the English model of the embedded engine',
    },
  ];
}
