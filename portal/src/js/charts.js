// Charts: uPlot for the daily series, plain elements for the per-model shares. Sizes follow
// the container; colours come from the CSS custom properties (light and dark).
import uPlot from "../vendor/uplot.esm.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** Days from..to inclusive as "YYYY-MM-DD" strings. */
export function daysBetween(from, to) {
  const out = [];
  const d = new Date(`${from}T00:00:00Z`);
  const end = new Date(`${to}T00:00:00Z`);
  for (let i = 0; d <= end && i < 400; i += 1) {
    out.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

/**
 * A time-series chart. series: [{label, values: number[], color, bars?}], days: "YYYY-MM-DD"[].
 * Returns a figure element; the plot is drawn once it is in the document.
 */
export function dailyChart(title, days, series, { format = (v) => String(v) } = {}) {
  const holder = h("div", { class: "chart-box" });
  const figure = h("figure", { class: "chart" }, h("figcaption", { class: "chart-title", text: title }), holder);
  const xs = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
  const grid = cssVar("--line", "#ddd");
  const text = cssVar("--muted", "#666");
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const opts = {
    width: 320,
    height: 220,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    // Half a day of room on each side so the first and last bars are not cut in half.
    scales: { x: { time: true, range: (u, min, max) => [min - 43200, max + 43200] } },
    axes: [{ ...axis }, { ...axis, size: 64, values: (u, vals) => vals.map(format) }],
    series: [{}, ...series.map((s) => ({
      label: s.label,
      stroke: s.color,
      width: s.bars ? 0 : 2,
      fill: s.bars ? s.color : undefined,
      paths: s.bars ? uPlot.paths.bars({ size: [0.7, 40] }) : undefined,
      points: { show: false },
      value: (u, v) => (v === null || v === undefined ? "—" : format(v)),
    }))],
  };
  const data = [xs, ...series.map((s) => s.values)];
  let plot = null;
  const observer = new ResizeObserver(() => {
    const width = Math.max(240, Math.floor(holder.clientWidth));
    if (!holder.isConnected) return;
    if (!plot) plot = new uPlot({ ...opts, width }, data, holder);
    else if (Math.abs(plot.width - width) > 2) plot.setSize({ width, height: opts.height });
  });
  observer.observe(holder);
  if (xs.length === 0) figure.append(h("p", { class: "muted", text: t("state.empty") }));
  return figure;
}

/** Horizontal bars for a few named values (the per-model split). rows: [{label, value, display}]. */
export function shareBars(title, rows) {
  const max = Math.max(0, ...rows.map((r) => r.value));
  return h("figure", { class: "chart" }, h("figcaption", { class: "chart-title", text: title }),
    rows.length === 0 ? h("p", { class: "muted", text: t("state.empty") }) :
      h("ul", { class: "bars" }, rows.map((r) => {
        const fill = h("span", { class: "bar-fill" });
        fill.style.width = `${max > 0 ? Math.max(1, (r.value / max) * 100) : 0}%`;
        return h("li", {}, h("span", { class: "bar-label", text: r.label }), h("span", { class: "bar-track", attrs: { "aria-hidden": "true" } }, fill), h("span", { class: "bar-value", text: r.display }));
      })));
}

export function chartColors() {
  return { a: cssVar("--chart-a", "#2f6f5e"), b: cssVar("--chart-b", "#c2772b"), c: cssVar("--chart-c", "#5b6fb5") };
}
