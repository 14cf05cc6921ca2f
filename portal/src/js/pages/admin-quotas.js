// Admin: quotas (user x model group), their limits, and a new key for one quota.
import { h, mount } from "../dom.js";
import { t } from "../i18n.js";
import { money, num } from "../format.js";
import { busy, button, card, confirmDialog, secretOnce, toast, usageBar } from "../ui.js";
import { crudPage, editDialog, mono, optionsFrom, periodOptions } from "../admin.js";
import { createQuota, deleteQuota, listGroups, listQuotas, resetQuotaKey, updateQuota } from "../endpoints.js";

const fractions = (v) => (v === undefined ? undefined : String(v).split(",").map((s) => Number(s.trim())).filter((n) => Number.isFinite(n) && n > 0 && n <= 1));

function limitFields(q) {
  q = q || {};
  return [
    { name: "period", label: t("admin.period"), type: "select", value: q.period || "month", options: periodOptions() },
    { name: "limit_cost", label: t("admin.limit_cost"), inputmode: "decimal", pattern: "[0-9]+(\\.[0-9]{1,6})?", value: q.limit_cost },
    { name: "limit_tokens", label: t("admin.limit_tokens"), type: "number", min: 0, step: 1, value: q.limit_tokens },
    { name: "rpm", label: t("admin.rpm"), type: "number", min: 0, step: 1, value: q.rpm },
    { name: "warn_at", label: t("admin.warn_at"), placeholder: "0.8, 0.95", value: Array.isArray(q.warn_at) ? q.warn_at.join(", ") : q.warn_at, hint: t("admin.warn_at_hint") },
    { name: "auto_renew", label: t("membership.auto_renew"), type: "checkbox", value: q.auto_renew },
  ];
}
const toBody = (v) => ({ ...v, warn_at: fractions(v.warn_at) });

export default function render(main) {
  const revealed = h("div", { attrs: { "aria-live": "polite" } });
  crudPage(main, {
    title: t("nav.admin_quotas"),
    subtitle: t("admin.quotas_subtitle"),
    list: listQuotas,
    search: { param: "user_id", label: t("admin.user_id"), placeholder: t("admin.user_id_placeholder") },
    intro: revealed,
    create: {
      label: t("admin.add_quota"),
      fields: async () => [
        { name: "user_id", label: t("admin.user_id"), required: true },
        { name: "group", label: t("admin.group"), type: "select", required: true, options: await optionsFrom(listGroups, "name") },
        ...limitFields(null),
      ],
      submit: (v) => createQuota(toBody(v)),
    },
    columns: [
      { label: t("admin.user"), value: (q) => (q.username ? h("strong", { text: q.username }) : mono(q.user_id)) },
      { label: t("admin.group"), value: (q) => q.group },
      { label: t("admin.period"), value: (q) => t(`period.${q.period || "none"}`) },
      { label: t("quota.cost"), value: (q) => usageBar(t("quota.cost"), q.used_cost, q.limit_cost, money, { compact: true }) },
      { label: t("quota.tokens"), value: (q) => usageBar(t("quota.tokens"), q.used_tokens, q.limit_tokens, num, { compact: true }) },
      { label: t("admin.rpm"), value: (q) => (q.rpm ? num(q.rpm) : t("quota.unlimited")), num: true },
    ],
    actions: (q, reload) => {
      const id = q.quota_id;
      return [
        h("a", { class: "btn", href: `#/admin/quota-usage?id=${encodeURIComponent(id)}`, text: t("quota_usage.open") }),
        button(t("action.edit"), () => editDialog(t("admin.edit_quota"), (v) => updateQuota(id, v), limitFields(q), reload, { transform: toBody })),
        button(t("keys.reset"), async (btn) => {
          if (!(await confirmDialog(t("keys.reset_title"), t("admin.reset_quota_key_confirm"), t("keys.reset"), { danger: true }))) return;
          await busy(btn, async () => {
            const res = await resetQuotaKey(id);
            mount(revealed, card(t("keys.new_key"), secretOnce(`${q.username || q.user_id} · ${q.group}`, res.key), button(t("action.done"), () => mount(revealed), { kind: "ghost" })));
          });
        }, { kind: "danger" }),
        button(t("action.delete"), async (btn) => {
          if (!(await confirmDialog(t("action.delete"), t("admin.delete_quota_confirm"), t("action.delete"), { danger: true }))) return;
          await busy(btn, async () => { await deleteQuota(id); toast(t("admin.deleted"), "success"); reload(); });
        }, { kind: "danger" }),
      ];
    },
  });
}
