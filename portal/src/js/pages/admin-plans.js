// Admin: membership plans (name, price, duration).
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { money, num } from "../format.js";
import { crudPage, mono } from "../admin.js";

export default function render(main) {
  crudPage(main, {
    title: t("nav.admin_plans"),
    subtitle: t("admin.plans_subtitle"),
    path: "/api/admin/plans",
    create: {
      label: t("admin.add_plan"),
      fields: () => [
        { name: "name", label: t("admin.name"), required: true },
        { name: "price", label: t("admin.price"), required: true, inputmode: "decimal", pattern: "[0-9]+(\\.[0-9]{1,6})?", placeholder: "9.90" },
        { name: "duration_days", label: t("admin.duration_days"), type: "number", required: true, min: 1, step: 1, value: 30 },
        { name: "description", label: t("admin.description") },
      ],
    },
    columns: [
      { label: t("admin.name"), value: (p) => h("strong", { text: p.name }) },
      { label: t("admin.price"), value: (p) => money(p.price), num: true },
      { label: t("admin.duration_days"), value: (p) => num(p.duration_days), num: true },
      { label: t("admin.description"), value: (p) => p.description },
      { label: t("admin.id"), value: (p) => mono(p.plan_id) },
    ],
  });
}
