// @ts-check
// Where the tokens live. The access token only in this module's memory (gone on reload, never
// readable from storage by another script); the refresh token in sessionStorage, so a reload
// of this tab stays logged in while closing the tab ends the session. See docs/portal.md.
const REFRESH_KEY = "kl.refresh";

/** @import { Me } from "./shapes.js" */

/** @type {string | null} */
let accessToken = null;
/** @type {Me | null} */
let me = null;
/** @type {Set<(me: Me | null) => void>} */
const listeners = new Set();

export const session = {
  get access() { return accessToken; },
  get refreshToken() {
    try { return sessionStorage.getItem(REFRESH_KEY); } catch { return null; }
  },
  get me() { return me; },
  set me(value) { me = value; listeners.forEach((fn) => fn(me)); },
  get isAdmin() { return me?.role === "superadmin"; },
  get hasSession() { return Boolean(accessToken || this.refreshToken); },

  /** Stores a token pair from a login or a token refresh. @param {{ access_token?: string, refresh_token?: string }} pair */
  store(pair) {
    accessToken = pair.access_token || null;
    try {
      if (pair.refresh_token) sessionStorage.setItem(REFRESH_KEY, pair.refresh_token);
    } catch { /* storage disabled: the session lasts until reload */ }
  },

  /** Forgets everything this tab knows about the user. */
  clear() {
    accessToken = null;
    me = null;
    try { sessionStorage.clear(); } catch { /* nothing stored */ }
    listeners.forEach((fn) => fn(null));
  },

  /** @param {(me: Me | null) => void} fn @returns {() => boolean} stops listening */
  onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); },
};
