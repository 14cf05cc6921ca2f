// The one way the portal talks to the API: JSON in and out, the bearer token added, a 401
// answered by one refresh and one retry, and every failure turned into an ApiError that
// carries the API's own code and message.
import { apiBase } from "./config.js";
import { session } from "./session.js";
import { t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

let expiredHandler = () => {};
/** Called once the session cannot be refreshed any more (the app goes to the login page). */
export function onSessionExpired(fn) { expiredHandler = fn; }

function buildUrl(path, query) {
  const url = new URL(apiBase() + path, window.location.href);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, String(v));
  }
  return url.toString();
}

async function errorFrom(res) {
  let code = `http_${res.status}`;
  let message = res.statusText || t("error.http", { status: res.status });
  try {
    const body = await res.json();
    if (body && body.error) {
      code = body.error.code || body.error.type || code;
      message = body.error.message || message;
    }
  } catch { /* not JSON: keep the status line */ }
  return new ApiError(res.status, code, message);
}

async function send(path, { method = "GET", body, query, auth = true, accept = "application/json" }) {
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

let refreshing = null;
/** Trades the stored refresh token for a new pair; true on success. One call at a time. */
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
 * api("/api/quotas") -> parsed JSON (null for 204).
 * Options: method, body, query, auth (default true), raw (return the Response, for CSV).
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

function expire() {
  session.clear();
  expiredHandler();
  throw new ApiError(401, "session_expired", t("error.session_expired"));
}

/** Ends the session on the server (best effort) and forgets everything locally. */
export async function logout() {
  try {
    if (session.access) await send("/api/logout", { method: "POST" });
  } catch { /* offline: still forget the tokens here */ }
  session.clear();
}
