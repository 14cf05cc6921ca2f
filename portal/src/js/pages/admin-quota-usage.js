// Admin: one quota's usage (#/admin/quota-usage?id=<quota_id>): statistics per model and per
// day over the last 30 days, and its requests newest first.
import { h, mount } from "../dom.js";
import { fetchQuotaStatistics, listQuotaRequests } from "../endpoints.js";
import { t } from "../i18n.js";
import { money, moneyNumber, num, dateTime, isoDay } from "../format.js";
import { asyncBlock, card, emptyState, pageHeader, pagedList, table } from "../ui.js";
import { dailyChart, daysBetween, chartColors } from "../charts.js";

export default function render(main, { params }) {
  const quotaId = params.get("id") || "";
  const to = isoDay(new Date());
  const fromDate = new Date();
  fromDate.setUTCDate(fromDate.getUTCDate() - 29);
  const from = isoDay(fromDate);
  const stats = h("div");
  const requests = h("div");
  mount(main, pageHeader(t("quota_usage.title"), t("quota_usage.subtitle", { id: quotaId })),
    h("p", {}, h("a", { href: "#/admin/quotas", class: "card-link", text: t("quota_usage.back") })),
    card(t("quota_usage.statistics"), stats), card(t("quota_usage.requests"), requests));
  if (!quotaId) {
    mount(stats, emptyState(t("quota_usage.no_quota")));
    return;
  }
  asyncBlock(stats, () => Promise.all([
    fetchQuotaStatistics(quotaId, { from, to, group_by: "day" }),
    fetchQuotaStatistics(quotaId, { from, to, group_by: "model" }),
  ]), ([byDay, byModel]) => {
    const days = daysBetween(from, to);
    const index = new Map((byDay.items || []).map((i) => [String(i.key).slice(0, 10), i]));
    return [
      dailyChart(t("dashboard.cost_per_day"), days, [{ label: t("usage.cost"), values: days.map((d) => (index.has(d) ? moneyNumber(index.get(d).cost) : 0)), color: chartColors().a, bars: true }],
        { format: (v) => `$${v >= 1 || v === 0 ? Number(v).toFixed(2) : Number(v.toPrecision(2))}` }),
      table([
        { label: t("usage.model"), value: (i) => i.key },
        { label: t("usage.requests"), value: (i) => num(i.requests), num: true },
        { label: t("usage.input_tokens"), value: (i) => num(i.input_tokens), num: true },
        { label: t("usage.output_tokens"), value: (i) => num(i.output_tokens), num: true },
        { label: t("usage.cost"), value: (i) => money(i.cost), num: true },
      ], byModel.items || [], { empty: t("usage.none"), caption: t("quota_usage.statistics") }),
    ];
  });
  mount(requests, pagedList((cursor) => listQuotaRequests(quotaId, { cursor, limit: 25 }), (items) => table([
    { label: t("usage.time"), value: (r) => dateTime(r.created_at) },
    { label: t("usage.model"), value: (r) => r.model },
    { label: t("usage.provider"), value: (r) => r.provider },
    { label: t("usage.input_tokens"), value: (r) => num(r.input_tokens), num: true },
    { label: t("usage.output_tokens"), value: (r) => num(r.output_tokens), num: true },
    { label: t("usage.cost"), value: (r) => money(r.cost), num: true },
    { label: t("usage.status"), value: (r) => String(r.status) },
  ], items, { empty: t("usage.none"), caption: t("quota_usage.requests") })));
}
