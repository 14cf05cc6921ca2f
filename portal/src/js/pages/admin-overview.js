// Admin dashboard: totals across users, the top users/models/providers by cost, cost and
// requests per day (uPlot), provider health with its recent checks, and the operation log.
import { h, mount } from "../dom.js";
import { fetchAdminOverview, listAdminLogs } from "../endpoints.js";
import { t } from "../i18n.js";
import { money, moneyNumber, num, dateTime, isoDay } from "../format.js";
import { asyncBlock, badge, card, pageHeader, pagedList, table } from "../ui.js";
import { dailyChart, daysBetween, chartColors } from "../charts.js";

export default function render(main) {
  const to = isoDay(new Date());
  const fromDate = new Date();
  fromDate.setUTCDate(fromDate.getUTCDate() - 29);
  const from = isoDay(fromDate);
  const body = h("div", { id: "admin-overview" });
  const logs = h("div");
  mount(main, pageHeader(t("nav.admin_overview"), t("overview.subtitle", { from, to })), body,
    card(t("overview.logs"), logs));

  asyncBlock(body, () => fetchAdminOverview({ from, to }), (ov) => {
    const days = daysBetween(from, to);
    const index = new Map((ov.by_day || []).map((d) => [d.day, d]));
    const c = chartColors();
    const totals = ov.totals || {};
    return [
      card(null, h("div", { class: "totals" },
        total(t("usage.requests"), num(totals.requests ?? 0), "requests"),
        total(t("usage.tokens"), num((Number(totals.input_tokens) || 0) + (Number(totals.output_tokens) || 0)), "tokens"),
        total(t("usage.cost"), money(totals.cost ?? "0"), "cost"),
        total(t("overview.users"), num(totals.users ?? 0), "users"),
        total(t("overview.active_users"), num(totals.active_users ?? 0), "active_users"),
        total(t("overview.active_keys"), num(totals.active_keys ?? 0), "active_keys"))),
      h("div", { class: "grid grid-2" },
        card(null, dailyChart(t("dashboard.cost_per_day"), days, [{ label: t("usage.cost"), values: days.map((d) => (index.has(d) ? moneyNumber(index.get(d).cost) : 0)), color: c.a, bars: true }],
          { format: (v) => `$${v >= 1 || v === 0 ? Number(v).toFixed(2) : Number(v.toPrecision(2))}` })),
        card(null, dailyChart(t("overview.requests_per_day"), days, [{ label: t("usage.requests"), values: days.map((d) => (index.has(d) ? Number(index.get(d).requests) : 0)), color: c.c }],
          { format: (v) => new Intl.NumberFormat(undefined, { notation: "compact" }).format(v) }))),
      h("div", { class: "grid grid-3" },
        card(t("overview.top_users"), topTable(ov.top_users || [], t("field.username"))),
        card(t("overview.top_models"), topTable(ov.top_models || [], t("usage.model"))),
        card(t("overview.top_providers"), topTable(ov.top_providers || [], t("usage.provider")))),
      card(t("overview.providers"), table([
        { label: t("usage.provider"), value: (p) => h("strong", { text: p.name }) },
        { label: t("overview.health"), value: (p) => badge(p.healthy ? t("overview.healthy") : t("overview.unhealthy"), p.healthy ? "ok" : "bad") },
        { label: t("overview.checked_at"), value: (p) => (p.checked_at ? dateTime(p.checked_at) : "—") },
        { label: t("overview.recent_checks"), value: (p) => h("span", { class: "checks" }, (p.history || []).slice(0, 10).map((c2) => badge(c2.ok ? "✓" : "✗", c2.ok ? "ok" : "bad"))) },
        { label: t("overview.last_error"), value: (p) => p.last_error || "—" },
      ], ov.providers || [], { empty: t("admin.none"), caption: t("overview.providers") })),
    ];
  });

  mount(logs, pagedList((cursor) => listAdminLogs({ cursor, limit: 25 }), (items) => table([
    { label: t("usage.time"), value: (e) => dateTime(e.created_at) },
    { label: t("overview.log_type"), value: (e) => e.type },
    { label: t("overview.log_action"), value: (e) => e.action },
    { label: t("admin.user"), value: (e) => h("code", { class: "small", text: e.user_id }) },
    { label: t("usage.ip"), value: (e) => e.ip || "—" },
  ], items, { empty: t("admin.none"), caption: t("overview.logs") })));
}

function total(label, value, key) {
  return h("div", { class: "total", dataset: { total: key } }, h("span", { class: "muted", text: label }), h("strong", { text: value }));
}

function topTable(items, label) {
  return table([
    { label, value: (i) => i.name || i.key },
    { label: t("usage.requests"), value: (i) => num(i.requests), num: true },
    { label: t("usage.cost"), value: (i) => money(i.cost), num: true },
  ], items, { empty: t("admin.none") });
}
