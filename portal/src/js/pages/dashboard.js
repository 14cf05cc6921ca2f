// Dashboard: balance, membership, this period's quota use, and 30 days of cost and tokens.
import { h, mount } from "../dom.js";
import { fetchBalance, fetchUsageStatistics, listMyProviders, listMyQuotas, setAutoRenew } from "../endpoints.js";
import { providerBalance } from "./providers.js";
import { session } from "../session.js";
import { t } from "../i18n.js";
import { money, moneyNumber, num, date, isoDay } from "../format.js";
import { asyncBlock, badge, card, pageHeader, usageBar, toast, toastError, emptyState } from "../ui.js";
import { dailyChart, daysBetween, shareBars, chartColors } from "../charts.js";

export default function render(main) {
  const me = session.me || {};
  const top = h("div", { class: "grid grid-3" });
  const quotas = h("div");
  const providers = h("div", { id: "my-providers" });
  const charts = h("div", { class: "grid grid-2" });
  mount(main, pageHeader(t("nav.dashboard"), t("dashboard.hello", { name: me.username || "" })),
    top, card(t("dashboard.quotas"), quotas), card(t("dashboard.my_providers"), providers), h("h2", { class: "section-title", text: t("dashboard.last_30") }), charts);

  asyncBlock(top, fetchBalance, (bal) => [
    card(t("balance.available"), h("p", { class: "stat", dataset: { stat: "available" }, text: money(bal.available) }),
      h("p", { class: "muted", text: t("balance.held_line", { held: money(bal.held) }) }),
      h("a", { href: "#/balance", class: "card-link", text: t("dashboard.to_balance") })),
    membershipCard(me.membership || {}),
    card(t("dashboard.by_provider"), (bal.by_provider || []).length === 0 ? emptyState(t("dashboard.no_spend")) :
      h("ul", { class: "kv" }, bal.by_provider.map((p) => h("li", {}, h("span", { text: p.provider }), h("span", { class: "num", text: money(p.spent) }))))),
  ]);

  asyncBlock(providers, listMyProviders, (data) => {
    const items = data.items || [];
    const manage = h("a", { href: "#/providers", class: "card-link", text: t("dashboard.to_providers") });
    if (items.length === 0) return [emptyState(t("providers.none")), manage];
    return [h("ul", { class: "kv" }, items.map((p) => h("li", { dataset: { provider: p.name } }, h("span", { text: p.name }),
      h("span", { class: "num provider-balance", text: providerBalance(p) })))), manage];
  });

  asyncBlock(quotas, listMyQuotas, (data) => {
    const items = data.items || [];
    if (items.length === 0) return emptyState(t("quota.none"));
    return h("div", { class: "grid grid-2" }, items.map((q) => h("div", { class: "quota" },
      h("div", { class: "quota-head" }, h("strong", { text: q.group }), badge(t(`period.${q.period}`) || q.period),
        q.period_end ? h("span", { class: "muted", text: t("quota.until", { date: date(q.period_end) }) }) : null),
      usageBar(t("quota.cost"), q.used_cost, q.limit_cost, money),
      usageBar(t("quota.tokens"), q.used_tokens, q.limit_tokens, num),
      q.rpm ? h("p", { class: "muted small", text: t("quota.rpm", { rpm: num(q.rpm) }) }) : null)));
  });

  const to = isoDay(new Date());
  const fromDate = new Date();
  fromDate.setUTCDate(fromDate.getUTCDate() - 29);
  const from = isoDay(fromDate);
  const range = { from, to }; // usage ranges are whole UTC days, both ends included
  asyncBlock(charts, () => Promise.all([
    fetchUsageStatistics({ ...range, group_by: "day" }),
    fetchUsageStatistics({ ...range, group_by: "model" }),
  ]), ([byDay, byModel]) => {
    const days = daysBetween(from, to);
    const index = new Map((byDay.items || []).map((i) => [String(i.key).slice(0, 10), i]));
    const pick = (f) => days.map((d) => (index.has(d) ? f(index.get(d)) : 0));
    const c = chartColors();
    const models = [...(byModel.items || [])].sort((a, b) => moneyNumber(b.cost) - moneyNumber(a.cost)).slice(0, 8);
    const totals = byModel.totals || byDay.totals || {};
    return [
      card(null, h("div", { class: "totals" },
        total(t("usage.requests"), num(totals.requests ?? 0)),
        total(t("usage.tokens"), num((Number(totals.input_tokens) || 0) + (Number(totals.output_tokens) || 0))),
        total(t("usage.cost"), money(totals.cost ?? "0"))),
        dailyChart(t("dashboard.cost_per_day"), days, [{ label: t("usage.cost"), values: pick((i) => moneyNumber(i.cost)), color: c.a, bars: true }], { format: (v) => `$${v >= 1 || v === 0 ? Number(v).toFixed(2) : Number(v.toPrecision(2))}` })),
      card(null, dailyChart(t("dashboard.tokens_per_day"), days, [
        { label: t("usage.input_tokens"), values: pick((i) => Number(i.input_tokens) || 0), color: c.c },
        { label: t("usage.output_tokens"), values: pick((i) => Number(i.output_tokens) || 0), color: c.b },
      ], { format: (v) => new Intl.NumberFormat(undefined, { notation: "compact" }).format(v) })),
      card(null, shareBars(t("dashboard.cost_by_model"), models.map((m) => ({ label: m.key, value: moneyNumber(m.cost), display: money(m.cost) })))),
      card(null, shareBars(t("dashboard.tokens_by_model"), models.map((m) => {
        const tokens = (Number(m.input_tokens) || 0) + (Number(m.output_tokens) || 0);
        return { label: m.key, value: tokens, display: num(tokens) };
      }))),
    ];
  });
}

function total(label, value) {
  return h("div", { class: "total" }, h("span", { class: "muted", text: label }), h("strong", { text: value }));
}

function membershipCard(m) {
  const id = "auto-renew";
  const toggle = h("input", { type: "checkbox", id, class: "switch", checked: Boolean(m.auto_renew), attrs: { role: "switch" } });
  toggle.addEventListener("change", async () => {
    toggle.disabled = true;
    try {
      await setAutoRenew(toggle.checked);
      if (session.me && session.me.membership) session.me.membership.auto_renew = toggle.checked;
      toast(toggle.checked ? t("membership.auto_on") : t("membership.auto_off"), "success");
    } catch (err) {
      toggle.checked = !toggle.checked;
      if (err.code !== "session_expired") toastError(err);
    } finally {
      toggle.disabled = false;
    }
  });
  return card(t("membership.title"),
    h("p", { class: "stat", text: m.plan || t("membership.none") }),
    h("p", { class: "muted", text: m.expires_at ? t("membership.expires", { date: date(m.expires_at) }) : t("membership.no_expiry") }),
    h("div", { class: "field-check" }, toggle, h("label", { attrs: { for: id }, text: t("membership.auto_renew") })));
}
