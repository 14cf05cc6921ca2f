// @ts-check
// The one way the portal talks to the API: JSON in and out, the bearer token added, a 401
// answered by one refresh and one retry, and every failure turned into an ApiError that
// carries the API's own code and message.
import { apiBase } from "./config.js";
import { session } from "./session.js";
import { t } from "./i18n.js";

/**
 * What a request sends: the method, a JSON body, query parameters (empty values are left out),
 * whether the bearer token goes along, and `raw` to get the Response itself (for CSV).
 * @typedef {{ method?: "GET" | "POST" | "PUT" | "DELETE", body?: unknown,
 *   query?: Record<string, string | number | boolean | null | undefined>,
 *   auth?: boolean, raw?: boolean, accept?: string }} RequestOptions
 */

export class ApiError extends Error {
  /**
   * @param {number} status the HTTP status (0 when the network failed)
   * @param {string} code the API's error code, e.g. "insufficient_balance"
   * @param {string} message
   * @param {any} [details] the error's `details` (e.g. `{ totp }` for totp_enrollment_required)
   */
  constructor(status, code, message, details) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let expiredHandler = () => {};
/**
 * Called once the session cannot be refreshed any more (the app goes to the login page).
 * @param {() => void} fn
 */
export function onSessionExpired(fn) { expiredHandler = fn; }

/** @param {string} path @param {RequestOptions["query"]} query */
function buildUrl(path, query) {
  const url = new URL(apiBase() + path, window.location.href);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, String(v));
  }
  return url.toString();
}

/** @param {Response} res @returns {Promise<ApiError>} */
async function errorFrom(res) {
  let code = `http_${res.status}`;
  let message = res.statusText || t("error.http", { status: res.status });
  let details;
  try {
    const body = await res.json();
    if (body && body.error) {
      code = body.error.code || body.error.type || code;
      message = body.error.message || message;
      details = body.error.details;
    }
  } catch { /* not JSON: keep the status line */ }
  return new ApiError(res.status, code, message, details);
}

/** @param {string} path @param {RequestOptions} options @returns {Promise<Response>} */
async function send(path, { method = "GET", body, query, auth = true, accept = "application/json" }) {
  /** @type {Record<string, string>} */
  const headers = { Accept: accept };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && session.access) headers.Authorization = `Bearer ${session.access}`;
  try {
    return await fetch(buildUrl(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new ApiError(0, "network_error", t("error.network"));
  }
}

/** @type {Promise<boolean> | null} */
let refreshing = null;
/**
 * Trades the stored refresh token for a new pair; true on success. One call at a time.
 * @returns {Promise<boolean>}
 */
export function refreshSession() {
  if (!refreshing) {
    refreshing = (async () => {
      const token = session.refreshToken;
      if (!token) return false;
      const res = await send("/api/token/refresh", { method: "POST", body: { refresh_token: token }, auth: false });
      if (!res.ok) {
        if (res.status >= 500) throw await errorFrom(res);
        return false;
      }
      session.store(await res.json());
      return true;
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

/**
 * One request to the API: the parsed JSON answer (null for 204), or the Response with `raw`.
 * Only endpoints.js calls it; pages call endpoints.js.
 * @param {string} path
 * @param {RequestOptions} [options]
 * @returns {Promise<any>} typed by the endpoints.js function that calls it
 */
export async function api(path, options = {}) {
  const { auth = true, raw = false } = options;
  if (auth && !session.access && session.refreshToken) {
    if (!(await refreshSession())) return expire();
  }
  let res = await send(path, options);
  if (res.status === 401 && auth) {
    // One refresh, one retry; a second 401 means the session is over.
    if (!(await refreshSession())) return expire();
    res = await send(path, options);
    if (res.status === 401) return expire();
  }
  if (!res.ok) throw await errorFrom(res);
  if (raw) return res;
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

/** @returns {never} */
function expire() {
  session.clear();
  expiredHandler();
  throw new ApiError(401, "session_expired", t("error.session_expired"));
}

/** Ends the session on the server (best effort) and forgets everything locally. @returns {Promise<void>} */
export async function logout() {
  try {
    if (session.access) await send("/api/logout", { method: "POST" });
  } catch { /* offline: still forget the tokens here */ }
  session.clear();
}
