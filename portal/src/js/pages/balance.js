// Balance: what is available and held, the history, redeeming a code, renewing the membership.
import { h, mount } from "../dom.js";
import { fetchBalance, listBalanceHistory, listOfferedPlans, redeemCode, renewMembership } from "../endpoints.js";
import { session } from "../session.js";
import { t, has } from "../i18n.js";
import { money, moneySign, dateTime, date } from "../format.js";
import { asyncBlock, card, emptyState, form, pageHeader, pagedList, table, toast } from "../ui.js";

export default function render(main) {
  const summary = h("div", { class: "grid grid-3" });
  const history = h("div");
  const renewSlot = h("div");
  const reloadSummary = () => asyncBlock(summary, fetchBalance, (bal) => [
    card(t("balance.available"), h("p", { class: "stat", dataset: { stat: "available" }, text: money(bal.available) })),
    card(t("balance.held"), h("p", { class: "stat", text: money(bal.held) }), h("p", { class: "muted small", text: t("balance.held_hint") })),
    card(t("dashboard.by_provider"), (bal.by_provider || []).length === 0 ? emptyState(t("dashboard.no_spend")) :
      h("ul", { class: "kv" }, bal.by_provider.map((p) => h("li", {}, h("span", { text: p.provider }), h("span", { class: "num", text: money(p.spent) }))))),
  ]);
  const columns = [
    { label: t("balance.when"), value: (r) => dateTime(r.created_at) },
    { label: t("balance.type"), value: (r) => (has(`ledger.${r.type}`) ? t(`ledger.${r.type}`) : r.type) },
    { label: t("balance.amount"), value: (r) => h("span", { class: moneySign(r.amount) < 0 ? "neg" : "pos", text: money(r.amount, { sign: true }) }), num: true },
    { label: t("balance.after"), value: (r) => money(r.balance_after), num: true },
    { label: t("balance.ref"), value: (r) => (r.ref ? h("code", { class: "small", text: r.ref }) : "—") },
  ];
  const reloadHistory = () => mount(history, pagedList((cursor) => listBalanceHistory({ cursor, limit: 20 }),
    (items) => table(columns, items, { empty: t("balance.no_history"), caption: t("balance.history") })));

  const redeem = form([{ name: "code", label: t("balance.code"), required: true, autocomplete: "off" }], t("balance.redeem"), async ({ code }, btn) => {
    const res = await redeemCode(code);
    toast(t("balance.redeemed", { amount: money(res.amount), available: money(res.available) }), "success");
    btn.form.reset();
    reloadSummary();
    reloadHistory();
  });
  redeem.id = "redeem-form";

  mount(main, pageHeader(t("nav.balance"), t("balance.subtitle")), summary,
    h("div", { class: "grid grid-2" }, card(t("balance.redeem_title"), redeem), card(t("balance.renew_title"), renewSlot)),
    card(t("balance.history"), history));
  reloadSummary();
  reloadHistory();

  asyncBlock(renewSlot, loadPlans, (plans) => {
    const m = (session.me && session.me.membership) || {};
    if (!plans.length) return emptyState(t("balance.no_plans"));
    const spec = { name: "plan", label: t("balance.plan"), type: "select", required: true, value: m.plan_id,
      options: plans.map((p) => ({ value: p.plan_id, label: planLabel(p) })) };
    const renew = form([spec], t("balance.renew"), async ({ plan }) => {
      const res = await renewMembership(plan);
      if (session.me) session.me.membership = { ...(session.me.membership || {}), ...(res.membership || {}) };
      toast(t("balance.renewed", { date: date(res.membership && res.membership.expires_at), available: money(res.available) }), "success");
      reloadSummary();
      reloadHistory();
      mountCurrent();
    });
    const current = h("p", { class: "muted" });
    const mountCurrent = () => {
      const mm = (session.me && session.me.membership) || {};
      current.textContent = mm.plan ? t("balance.current_plan", { plan: mm.plan, date: date(mm.expires_at) }) : t("membership.none");
    };
    mountCurrent();
    renew.id = "renew-form";
    return [current, renew];
  });
}

function planLabel(p) {
  const price = p.price !== undefined ? ` · ${money(p.price)}` : "";
  return `${p.plan || p.name || p.plan_id}${price} · ${planPeriod(p)}`;
}

/** "30 days", "Monthly"... */
export function planPeriod(p) {
  if (p.period === "days" || (!p.period && p.days)) return t("plans.days", { n: p.days });
  return has(`period.${p.period}`) ? t(`period.${p.period}`) : String(p.period || "—");
}

/** The plans on sale (GET /api/plans): the user picks one, never types it. */
async function loadPlans() {
  const res = await listOfferedPlans();
  return (res && res.items) || [];
}
