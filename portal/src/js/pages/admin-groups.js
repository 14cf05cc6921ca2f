// Admin: model groups (which models a quota's key may use) and their default quota.
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { money, num } from "../format.js";
import { busy, button, confirmDialog, toast } from "../ui.js";
import { crudPage, editDialog, optionsFrom, periodOptions } from "../admin.js";
import { createGroup, deleteGroup, listGroups, listModels, updateGroup } from "../endpoints.js";

function fields(g, models) {
  const d = (g && g.default_quota) || {};
  return [
    { name: "name", label: t("admin.name"), required: true, value: g && g.name },
    { name: "models", label: t("admin.models"), type: "checkboxes", value: (g && g.models) || [], options: models },
    { name: "period", label: t("admin.period"), type: "select", value: d.period || "month", options: periodOptions() },
    { name: "limit_cost", label: t("admin.limit_cost"), inputmode: "decimal", pattern: "[0-9]+(\\.[0-9]{1,6})?", value: d.limit_cost },
    { name: "limit_tokens", label: t("admin.limit_tokens"), type: "number", min: 0, step: 1, value: d.limit_tokens },
    { name: "rpm", label: t("admin.rpm"), type: "number", min: 0, step: 1, value: d.rpm },
  ];
}

/** The form's flat values -> the API's {name, models, default_quota}. */
function toBody(v) {
  const quota = { period: v.period };
  for (const k of ["limit_cost", "limit_tokens", "rpm"]) if (v[k] !== undefined) quota[k] = v[k];
  return { name: v.name, models: v.models, default_quota: quota };
}

export default function render(main) {
  const models = () => optionsFrom(listModels, "name");
  crudPage(main, {
    title: t("nav.admin_groups"),
    subtitle: t("admin.groups_subtitle"),
    list: listGroups,
    create: { label: t("admin.add_group"), fields: async () => fields(null, await models()), submit: (v) => createGroup(toBody(v)) },
    columns: [
      { label: t("admin.name"), value: (g) => h("strong", { text: g.name }) },
      { label: t("admin.models"), value: (g) => (g.models || []).join(", ") },
      { label: t("admin.default_quota"), value: (g) => quotaSummary(g.default_quota) },
    ],
    actions: (g, reload) => {
      const id = g.group_id || g.name;
      return [
        button(t("action.edit"), async () => editDialog(t("admin.edit_group", { name: g.name }), (v) => updateGroup(id, v), fields(g, await models()), reload, { transform: toBody })),
        button(t("action.delete"), async (btn) => {
          if (!(await confirmDialog(t("action.delete"), t("admin.delete_confirm", { name: g.name }), t("action.delete"), { danger: true }))) return;
          await busy(btn, async () => { await deleteGroup(id); toast(t("admin.deleted"), "success"); reload(); });
        }, { kind: "danger" }),
      ];
    },
  });
}

export function quotaSummary(q) {
  if (!q) return "—";
  const parts = [t(`period.${q.period || "none"}`)];
  if (q.limit_cost) parts.push(money(q.limit_cost));
  if (q.limit_tokens) parts.push(t("admin.n_tokens", { n: num(q.limit_tokens) }));
  if (q.rpm) parts.push(t("quota.rpm", { rpm: num(q.rpm) }));
  return parts.join(" · ");
}
