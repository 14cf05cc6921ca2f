// @ts-check
// Reads the deploy-time configuration from window.KEYLEDGER_CONFIG (set by /config.js).

/** @typedef {{ apiBase?: string }} PortalConfig */

/** The API's base URL without a trailing slash ("" when the portal and the API share an origin). */
export function apiBase() {
  const config = /** @type {{ KEYLEDGER_CONFIG?: PortalConfig }} */ (/** @type {unknown} */ (window)).KEYLEDGER_CONFIG;
  const raw = (config && config.apiBase) || "";
  return String(raw).replace(/\/+$/, "");
}

/** The OpenAI-compatible base URL users paste into their SDK. */
export function proxyBase() {
  const base = apiBase() || window.location.origin;
  return `${base}/v1`;
}
