// Admin: membership plans users renew from their balance (name, price, period).
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { money, dateTime } from "../format.js";
import { statusBadge } from "../ui.js";
import { crudPage, mono } from "../admin.js";
import { createPlan, listPlans } from "../endpoints.js";
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
      fields: () => [
        { name: "name", label: t("admin.name"), required: true, pattern: "[A-Za-z0-9][A-Za-z0-9 _.\\-]*", maxlength: 64, hint: t("admin.plan_name_hint") },
        { name: "price", label: t("admin.price"), required: true, inputmode: "decimal", pattern: "[0-9]+(\\.[0-9]{1,6})?", placeholder: "9.90" },
        { name: "period", label: t("admin.period"), type: "select", required: true, value: "month",
          options: PERIODS.map((p) => ({ value: p, label: p === "days" ? t("admin.period_days") : t(`period.${p}`) })) },
        { name: "days", label: t("admin.duration_days"), type: "number", min: 1, max: 3660, step: 1, hint: t("admin.days_hint") },
      ],
    },
    columns: [
      { label: t("admin.name"), value: (p) => h("strong", { text: p.name }) },
      { label: t("admin.price"), value: (p) => money(p.price), num: true },
      { label: t("admin.period"), value: (p) => planPeriod(p) },
      { label: t("admin.status"), value: (p) => statusBadge(p.enabled === false ? "disabled" : "enabled") },
      { label: t("admin.created_at"), value: (p) => dateTime(p.created_at) },
      { label: t("admin.id"), value: (p) => mono(p.plan_id) },
    ],
  });
}
