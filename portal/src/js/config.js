// Reads the deploy-time configuration from window.KEYLEDGER_CONFIG (set by /config.js).
export function apiBase() {
  const raw = (window.KEYLEDGER_CONFIG && window.KEYLEDGER_CONFIG.apiBase) || "";
  return String(raw).replace(/\/+$/, "");
}

/** The OpenAI-compatible base URL users paste into their SDK. */
export function proxyBase() {
  const base = apiBase() || window.location.origin;
  return `${base}/v1`;
}
