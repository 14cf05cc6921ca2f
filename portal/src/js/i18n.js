// @ts-check
// Every visible string goes through t(). The choice is remembered in localStorage; the first
// visit follows the browser's language.
import en from "../i18n/en.js";
import zhCN from "../i18n/zh-CN.js";

const LANG_KEY = "kl.lang";
export const LANGUAGES = [
  { code: "en", label: "English" },
  { code: "zh-CN", label: "简体中文" },
];
/** @typedef {Record<string, string>} Strings one language's strings by key */
/** @type {Record<string, Strings>} */
const tables = { en, "zh-CN": zhCN };
/** @type {Strings} */
const fallback = en;
/** @type {Set<(code: string) => void>} */
const listeners = new Set();

/** @returns {string} */
function initialLanguage() {
  let saved = null;
  try { saved = globalThis.localStorage ? localStorage.getItem(LANG_KEY) : null; } catch { /* storage disabled */ }
  if (saved && tables[saved]) return saved;
  /** @type {{ languages?: readonly string[], language?: string }} */
  const nav = typeof navigator === "undefined" ? {} : navigator;
  const browser = (nav.languages && nav.languages[0]) || nav.language || "en";
  return browser.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

let current = initialLanguage();

/** The current language's code ("en" or "zh-CN"). */
export function lang() { return current; }

/**
 * t("login.title"), t("usage.count", {n: 3}): the string in the current language (English when
 * the current one lacks it, the key itself when both do).
 * @param {string} key
 * @param {Record<string, string | number>} [params] values for the `{name}` placeholders
 * @returns {string}
 */
export function t(key, params) {
  let text = tables[current][key] ?? fallback[key] ?? key;
  if (params) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  return text;
}

/** True when the key exists (for optional strings such as error codes). @param {string} key */
export function has(key) { return key in tables[current] || key in fallback; }

/** Switches the language (an unknown code is ignored) and remembers it. @param {string} code */
export function setLanguage(code) {
  if (!tables[code]) return;
  current = code;
  try { localStorage.setItem(LANG_KEY, code); } catch { /* not remembered */ }
  applyLanguage();
  listeners.forEach((fn) => fn(code));
}

/** Marks the document with the current language and translates its title. */
export function applyLanguage() {
  document.documentElement.lang = current;
  document.title = t("app.name");
}

/** @param {(code: string) => void} fn @returns {() => boolean} stops listening */
export function onLanguageChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }
