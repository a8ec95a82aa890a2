import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load-config';

/** A self-signed P-256 pair (fast to make) under `dir`, as `<name>.crt` and `<name>.key`. */
function certificate(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

function problemsOf(env: Record<string, string>, cwd: string): string[] {
  const result = loadConfig(env, cwd);
  if (result.ok) throw new Error('expected the configuration to be invalid');
  return result.errors.map((p) => `${p.variable}: ${p.message}`);
}

describe('TLS_CERT_FILE and TLS_KEY_FILE', () => {
  let dir: string;
  let good: { cert: string; key: string };
  let other: { cert: string; key: string };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'asr-tls-config-'));
    good = certificate(dir, 'good');
    other = certificate(dir, 'other');
  });

  it('leaves the listener plain HTTP when neither is set', () => {
    const result = loadConfig({}, dir);
    expect(result.ok && result.config.api.tls).toBeUndefined();
  });

  it('resolves both against the working directory when they name a matching pair', () => {
    const result = loadConfig({ TLS_CERT_FILE: 'good.crt', TLS_KEY_FILE: './good.key' }, dir);
    expect(result.ok ? result.config.api.tls : result.errors).toEqual({ certFile: good.cert, keyFile: good.key });
  });

  it('wants both or neither, naming the missing one', () => {
    expect(problemsOf({ TLS_CERT_FILE: good.cert }, dir)).toEqual([
      'TLS_KEY_FILE: (unset) is not allowed: is required when TLS_CERT_FILE is set (the two make the HTTPS listener together)',
    ]);
    expect(problemsOf({ TLS_KEY_FILE: good.key }, dir)).toEqual([
      'TLS_CERT_FILE: (unset) is not allowed: is required when TLS_KEY_FILE is set (the two make the HTTPS listener together)',
    ]);
  });

  it('names the setting whose file is missing or cannot be read', () => {
    expect(problemsOf({ TLS_CERT_FILE: 'missing.crt', TLS_KEY_FILE: good.key }, dir)).toEqual([
      `TLS_CERT_FILE: ${join(dir, 'missing.crt')} cannot be read (ENOENT: no such file or directory, open '${join(dir, 'missing.crt')}')`,
    ]);
    const folder = join(dir, 'a-folder');
    mkdirSync(folder, { recursive: true });
    expect(problemsOf({ TLS_CERT_FILE: good.cert, TLS_KEY_FILE: folder }, dir)).toEqual([
      `TLS_KEY_FILE: ${folder} cannot be read (EISDIR: illegal operation on a directory, read)`,
    ]);
  });

  it('tells a certificate from a key, and refuses them swapped', () => {
    expect(problemsOf({ TLS_CERT_FILE: good.key, TLS_KEY_FILE: good.cert }, dir)).toEqual([
      `TLS_CERT_FILE: ${good.key} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      `TLS_KEY_FILE: ${good.cert} holds no PEM private key (-----BEGIN PRIVATE KEY-----)`,
    ]);
  });

  it('refuses an encrypted key, saying how to decrypt it', () => {
    const encrypted = join(dir, 'encrypted.key');
    execFileSync('openssl', ['pkey', '-in', good.key, '-aes256', '-passout', 'pass:secret', '-out', encrypted], {
      stdio: 'ignore',
    });
    expect(readFileSync(encrypted, 'utf8')).toContain('ENCRYPTED');
    expect(problemsOf({ TLS_CERT_FILE: good.cert, TLS_KEY_FILE: encrypted }, dir)).toEqual([
      `TLS_KEY_FILE: ${encrypted} is encrypted and the server takes no passphrase: decrypt it (openssl pkey -in ${encrypted} -out <new file>)`,
    ]);
  });

  it('refuses the key of another certificate', () => {
    const [problem, ...rest] = problemsOf({ TLS_CERT_FILE: good.cert, TLS_KEY_FILE: other.key }, dir);
    expect(rest).toEqual([]);
    expect(problem).toMatch(
      new RegExp(
        `^TLS_KEY_FILE: ${other.key} is not the key of the certificate in TLS_CERT_FILE \\(.*key values mismatch`,
      ),
    );
  });

  it('names the certificate file when TLS refuses what is in it', () => {
    const garbled = join(dir, 'garbled.crt');
    writeFileSync(garbled, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
    const [problem, ...rest] = problemsOf({ TLS_CERT_FILE: garbled, TLS_KEY_FILE: good.key }, dir);
    expect(rest).toEqual([]);
    expect(problem).toMatch(new RegExp(`^TLS_CERT_FILE: ${garbled} with TLS_KEY_FILE is refused by TLS \\(.+\\)$`));
  });
});
