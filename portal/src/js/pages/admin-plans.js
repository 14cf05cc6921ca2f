// Admin: membership plans users renew from their balance (name, price, period).
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { money, dateTime } from "../format.js";
import { button, busy, statusBadge, toast } from "../ui.js";
import { crudPage, editDialog, mono } from "../admin.js";
import { createPlan, listPlans, updatePlan } from "../endpoints.js";
import { planPeriod } from "./balance.js";

const PERIODS = ["day", "week", "month", "year", "days"];

export default function render(main) {
  crudPage(main, {
    title: t("nav.admin_plans"),
    subtitle: t("admin.plans_subtitle"),
    list: listPlans,
    create: {
      label: t("admin.add_plan"),
      submit: createPlan,
      fields: () => planFields({}),
    },
    actions: (p, reload) => [
      button(t("action.edit"), () => editDialog(t("admin.edit_plan", { name: p.name }), (v) => updatePlan(p.plan_id, v),
        planFields(p), reload, { transform: (v) => ({ ...v, days: v.period === "days" ? v.days : undefined }) })),
      button(p.enabled === false ? t("admin.enable") : t("admin.disable"), (btn) => busy(btn, async () => {
        await updatePlan(p.plan_id, { enabled: p.enabled === false });
        toast(t("admin.saved"), "success");
        reload();
      }), { kind: "ghost" }),
    ],
    columns: [
      { label: t("admin.name"), value: (p) => [h("strong", { text: p.name }), p.description ? h("p", { class: "muted small", text: p.description }) : null] },
      { label: t("admin.price"), value: (p) => money(p.price), num: true },
      { label: t("admin.period"), value: (p) => planPeriod(p) },
      { label: t("admin.status"), value: (p) => statusBadge(p.enabled === false ? "disabled" : "enabled") },
      { label: t("admin.created_at"), value: (p) => dateTime(p.created_at) },
      { label: t("admin.id"), value: (p) => mono(p.plan_id) },
    ],
  });
}

/** The plan form, filled with `p` when editing. */
function planFields(p) {
  return [
    { name: "name", label: t("admin.name"), required: true, value: p.name, pattern: "[A-Za-z0-9][A-Za-z0-9 _.\\-]*", maxlength: 64, hint: t("admin.plan_name_hint") },
    { name: "price", label: t("admin.price"), required: true, value: p.price, inputmode: "decimal", pattern: "[0-9]+(\\.[0-9]{1,6})?", placeholder: "9.90" },
    { name: "period", label: t("admin.period"), type: "select", required: true, value: p.period || "month",
      options: PERIODS.map((x) => ({ value: x, label: x === "days" ? t("admin.period_days") : t(`period.${x}`) })) },
    { name: "days", label: t("admin.duration_days"), type: "number", value: p.days ?? undefined, min: 1, max: 3660, step: 1, hint: t("admin.days_hint") },
    { name: "description", label: t("admin.description"), value: p.description || "", maxlength: 500 },
  ];
}
