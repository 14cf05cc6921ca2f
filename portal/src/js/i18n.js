// Every visible string goes through t(). The choice is remembered in localStorage; the first
// visit follows the browser's language.
import en from "../i18n/en.js";
import zhCN from "../i18n/zh-CN.js";

const LANG_KEY = "kl.lang";
export const LANGUAGES = [
  { code: "en", label: "English" },
  { code: "zh-CN", label: "简体中文" },
];
const tables = { en, "zh-CN": zhCN };
const listeners = new Set();

function initialLanguage() {
  let saved = null;
  try { saved = globalThis.localStorage ? localStorage.getItem(LANG_KEY) : null; } catch { /* storage disabled */ }
  if (saved && tables[saved]) return saved;
  const nav = typeof navigator === "undefined" ? {} : navigator;
  const browser = (nav.languages && nav.languages[0]) || nav.language || "en";
  return browser.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

let current = initialLanguage();

export function lang() { return current; }

/** t("login.title"), t("usage.count", {n: 3}): the string in the current language. */
export function t(key, params) {
  let text = tables[current][key] ?? en[key] ?? key;
  if (params) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  return text;
}

/** True when the key exists (for optional strings such as error codes). */
export function has(key) { return key in tables[current] || key in en; }

export function setLanguage(code) {
  if (!tables[code]) return;
  current = code;
  try { localStorage.setItem(LANG_KEY, code); } catch { /* not remembered */ }
  applyLanguage();
  listeners.forEach((fn) => fn(code));
}

export function applyLanguage() {
  document.documentElement.lang = current;
  document.title = t("app.name");
}

export function onLanguageChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }
