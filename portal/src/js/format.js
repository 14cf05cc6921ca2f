// @ts-check
// Display formats. Money stays a decimal string from end to end: it is never parsed to a float.
import { lang } from "./i18n.js";

/** @typedef {string | number | null | undefined} Shown a value from the API, possibly absent */

/**
 * "12.500000" -> "$12.50"; "0.000123" -> "$0.000123"; keeps at least two decimals.
 * @param {Shown} value a decimal string
 * @param {{ sign?: boolean }} [options] `sign`: "+" before a positive amount
 * @returns {string} "—" when there is no value
 */
export function money(value, { sign = false } = {}) {
  if (value === null || value === undefined || value === "") return "—";
  let s = String(value).trim();
  let neg = s.startsWith("-");
  if (neg || s.startsWith("+")) s = s.slice(1);
  let [whole, frac = ""] = s.split(".");
  frac = frac.replace(/0+$/, "");
  if (frac.length < 2) frac = frac.padEnd(2, "0");
  whole = (whole || "0").replace(/^0+(?=\d)/, "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const zero = /^0*$/.test(whole.replace(/,/g, "")) && /^0*$/.test(frac);
  if (zero) neg = false;
  const prefix = neg ? "−" : sign && !zero ? "+" : "";
  return `${prefix}$${whole}.${frac}`;
}

/** Sign of a decimal string: -1, 0 or 1. @param {Shown} value @returns {-1 | 0 | 1} */
export function moneySign(value) {
  const s = String(value ?? "").trim();
  if (/^-/.test(s) && /[1-9]/.test(s)) return -1;
  return /[1-9]/.test(s) ? 1 : 0;
}

/** For charts only (never for arithmetic that is shown as money). @param {Shown} value @returns {number} */
export function moneyNumber(value) {
  const n = Number.parseFloat(String(value));
  return Number.isFinite(n) ? n : 0;
}

/** A number in the current language's digits grouping; "—" when absent. @param {Shown} value @returns {string} */
export function num(value) {
  if (value === null || value === undefined || value === "") return "—";
  const n = Number(value);
  return Number.isFinite(n) ? new Intl.NumberFormat(lang()).format(n) : String(value);
}

/** Date and time in the current language; "—" when absent. @param {string | null | undefined} iso @returns {string} */
export function dateTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  // No-break spaces: a date never wraps inside a table cell.
  return new Intl.DateTimeFormat(lang(), { dateStyle: "medium", timeStyle: "short" }).format(d).replace(/ /g, "\u00a0");
}

/** The date alone in the current language; "—" when absent. @param {string | null | undefined} iso @returns {string} */
export function date(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(lang(), { dateStyle: "medium" }).format(d).replace(/ /g, "\u00a0");
}

/** "YYYY-MM-DD" of a Date in UTC. @param {Date} d @returns {string} */
export function isoDay(d) { return d.toISOString().slice(0, 10); }

/** The API's range bounds: midnight UTC of a "YYYY-MM-DD" day. @param {string} day @returns {string} */
export function dayStart(day) { return `${day}T00:00:00Z`; }

/** Midnight UTC after the given day (exclusive end of an inclusive day range). @param {string} day @returns {string} */
export function dayAfter(day) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return `${isoDay(d)}T00:00:00Z`;
}

/**
 * Ratio used/limit in [0, 1], or null when there is no limit.
 * @param {Shown} used @param {Shown} limit @returns {number | null}
 */
export function ratio(used, limit) {
  const l = Number.parseFloat(String(limit));
  if (!Number.isFinite(l) || l <= 0) return null;
  const u = Number.parseFloat(String(used)) || 0;
  return Math.max(0, Math.min(1, u / l));
}
