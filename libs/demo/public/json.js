// @ts-check
/**
 * JSON from the server as `unknown`, for the caller to assert its documented shape (api-types.d.ts) with a JSDoc
 * cast: `any` would silently skip the type checks.
 */

/** @param {string} text @returns {unknown} */
export function parseJson(text) {
  return JSON.parse(text);
}

/** @param {Response} response @returns {Promise<unknown>} */
export async function readJson(response) {
  /** @type {unknown} */
  const body = await response.json();
  return body;
}
