import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { ConfigProblem } from './load-config';

/** TLS_CERT_FILE and TLS_KEY_FILE, resolved: the server reads them when it creates its listener. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN (RSA |EC )?PRIVATE KEY-----/;
const ENCRYPTED_KEY = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;

function read(variable: string, path: string): { text: string } | { problem: ConfigProblem } {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { problem: { variable, message: `${path} cannot be read (${reason})` } };
  }
}

function keyProblem(path: string, text: string): string | undefined {
  // Checked first: an encrypted key also lacks the plain header, and "no key" would send the operator looking wrongly.
  if (ENCRYPTED_KEY.test(text))
    return `${path} is encrypted and the server takes no passphrase: decrypt it (openssl pkey -in ${path} -out <new file>)`;
  if (!PRIVATE_KEY.test(text)) return `${path} holds no PEM private key (-----BEGIN PRIVATE KEY-----)`;
  return undefined;
}

/**
 * Reads both files once at configuration time, so that a missing, unreadable or mismatched file stops
 * `serve` and `config check` with a line naming the setting, instead of an OpenSSL error from deep inside listen().
 */
export function checkTlsFiles(files: TlsFiles): ConfigProblem[] {
  const cert = read('TLS_CERT_FILE', files.certFile);
  const key = read('TLS_KEY_FILE', files.keyFile);
  const problems: ConfigProblem[] = [];
  if ('problem' in cert) problems.push(cert.problem);
  else if (!CERTIFICATE.test(cert.text))
    problems.push({
      variable: 'TLS_CERT_FILE',
      message: `${files.certFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    });
  if ('problem' in key) problems.push(key.problem);
  else {
    const message = keyProblem(files.keyFile, key.text);
    if (message) problems.push({ variable: 'TLS_KEY_FILE', message });
  }
  if (problems.length > 0 || 'problem' in cert || 'problem' in key) return problems;

  try {
    createSecureContext({ cert: cert.text, key: key.text });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const mismatch = /key values mismatch/i.test(reason);
    return [
      mismatch
        ? {
            variable: 'TLS_KEY_FILE',
            message: `${files.keyFile} is not the key of the certificate in TLS_CERT_FILE (${reason})`,
          }
        : { variable: 'TLS_CERT_FILE', message: `${files.certFile} with TLS_KEY_FILE is refused by TLS (${reason})` },
    ];
  }
  return [];
}
