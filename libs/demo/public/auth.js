// @ts-check
/**
 * The API key, asked for once when the server wants one (a 401), kept for this browser tab only
 * (sessionStorage), and sent as `Authorization: Bearer`. The stream gets a short-lived token minted with it instead:
 * a WebSocket cannot carry headers from a browser, and a long-lived key never goes into a URL.
 */
import { readJson } from './json.js';

const STORAGE_KEY = 'asr-api-key';

/** @param {string} path */
export const api = (path) => new URL(path, document.baseURI);

function storedKey() {
  return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
}

/**
 * Shows the key dialog; resolves with the key entered, or undefined when the person cancels.
 * @returns {Promise<string | undefined>}
 */
function askForKey() {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('key-dialog'));
  const input = /** @type {HTMLInputElement} */ (document.getElementById('key-input'));
  return new Promise((resolve) => {
    input.value = '';
    dialog.returnValue = '';
    dialog.addEventListener(
      'close',
      () => {
        const key = dialog.returnValue === 'save' ? input.value.trim() : '';
        if (key) sessionStorage.setItem(STORAGE_KEY, key);
        resolve(key || undefined);
      },
      { once: true },
    );
    dialog.showModal();
  });
}

/** @param {RequestInit} init @param {string | undefined} key @returns {RequestInit} */
function withKey(init, key) {
  if (!key) return init;
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${key}`);
  return { ...init, headers };
}

/**
 * fetch with the key; on 401 asks for a key (again, if the one kept was refused) and retries once.
 * @param {string} path @param {RequestInit} [init]
 */
export async function apiFetch(path, init = {}) {
  const response = await fetch(api(path), withKey(init, storedKey()));
  if (response.status !== 401) return response;
  sessionStorage.removeItem(STORAGE_KEY);
  const key = await askForKey();
  if (!key) return response;
  return fetch(api(path), withKey(init, key));
}

/**
 * What to add to the stream's URL: `token` when this tab has a key (minted fresh: tokens live a minute or so).
 * @returns {Promise<{ token?: string, authRequired: boolean }>}
 */
export async function streamCredentials() {
  if (!storedKey()) return { authRequired: false };
  const response = await apiFetch('api/v1/auth/stream-token', { method: 'POST' });
  if (response.status === 404) return { authRequired: false }; // the server has no keys (any more)
  if (!response.ok) return { authRequired: true };
  const { token } = /** @type {{ token: string }} */ (await readJson(response));
  return { token, authRequired: false };
}

/**
 * After a refused stream: does the API accept this tab's credentials? If not, asks for a key.
 * @returns {Promise<'accepted' | 'entered' | 'declined'>}
 */
export async function checkKey() {
  const response = await fetch(api('api/v1/providers'), withKey({}, storedKey()));
  if (response.status !== 401) return 'accepted';
  sessionStorage.removeItem(STORAGE_KEY);
  return (await askForKey()) === undefined ? 'declined' : 'entered';
}
