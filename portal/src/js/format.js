// Display formats. Money stays a decimal string from end to end: it is never parsed to a float.
import { lang } from "./i18n.js";

/** "12.500000" -> "$12.50"; "0.000123" -> "$0.000123"; keeps at least two decimals. */
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

/** Sign of a decimal string: -1, 0 or 1. */
export function moneySign(value) {
  const s = String(value ?? "").trim();
  if (/^-/.test(s) && /[1-9]/.test(s)) return -1;
  return /[1-9]/.test(s) ? 1 : 0;
}

/** For charts only (never for arithmetic that is shown as money). */
export function moneyNumber(value) {
  const n = Number.parseFloat(value);
  return Number.isFinite(n) ? n : 0;
}

export function num(value) {
  if (value === null || value === undefined || value === "") return "—";
  const n = Number(value);
  return Number.isFinite(n) ? new Intl.NumberFormat(lang()).format(n) : String(value);
}

export function dateTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  // No-break spaces: a date never wraps inside a table cell.
  return new Intl.DateTimeFormat(lang(), { dateStyle: "medium", timeStyle: "short" }).format(d).replace(/ /g, "\u00a0");
}

export function date(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(lang(), { dateStyle: "medium" }).format(d).replace(/ /g, "\u00a0");
}

/** "YYYY-MM-DD" of a Date in UTC. */
export function isoDay(d) { return d.toISOString().slice(0, 10); }

/** The API's range bounds: midnight UTC of a "YYYY-MM-DD" day. */
export function dayStart(day) { return `${day}T00:00:00Z`; }

/** Midnight UTC after the given day (exclusive end of an inclusive day range). */
export function dayAfter(day) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return `${isoDay(d)}T00:00:00Z`;
}

/** Ratio used/limit in [0, 1], or null when there is no limit. */
export function ratio(used, limit) {
  const l = Number.parseFloat(limit);
  if (!Number.isFinite(l) || l <= 0) return null;
  const u = Number.parseFloat(used) || 0;
  return Math.max(0, Math.min(1, u / l));
}
