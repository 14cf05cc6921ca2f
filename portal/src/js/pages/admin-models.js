// Admin: models and their prices (USD per 1M input / output tokens), enabled or not.
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { money } from "../format.js";
import { busy, button, confirmDialog, statusBadge, toast } from "../ui.js";
import { crudPage, editDialog, optionsFrom } from "../admin.js";
import { createModel, deleteModel, listModels, listProviders, updateModel } from "../endpoints.js";

const PRICE = { inputmode: "decimal", pattern: "[0-9]+(\\.[0-9]{1,6})?", placeholder: "0.150000" };
const CAPABILITIES = ["chat", "embeddings", "vision", "tools"];
const capabilityList = (v) => (Array.isArray(v) ? v : String(v || "").split(",").map((s) => s.trim()).filter(Boolean));
const capabilityField = (value) => ({ name: "capabilities", label: t("admin.capabilities"), type: "checkboxes", value,
  options: CAPABILITIES.map((c) => ({ value: c, label: t(`capability.${c}`) })) });

export default async function render(main) {
  // Models name their provider by id; show its name.
  const providers = new Map((await optionsFrom(listProviders, "provider_id")).map((o) => [o.value, o.label]));
  crudPage(main, {
    title: t("nav.admin_models"),
    subtitle: t("admin.models_subtitle"),
    list: listModels,
    create: {
      label: t("admin.add_model"),
      submit: createModel,
      fields: async () => [
        { name: "name", label: t("admin.model_name"), required: true, hint: t("admin.model_name_hint") },
        { name: "provider", label: t("admin.provider"), type: "select", required: true, options: await optionsFrom(listProviders, "provider_id") },
        { name: "upstream_model", label: t("admin.upstream_model"), hint: t("admin.upstream_model_hint") },
        { name: "input_price", label: t("admin.input_price"), required: true, ...PRICE },
        { name: "output_price", label: t("admin.output_price"), required: true, ...PRICE },
        capabilityField(["chat"]),
        { name: "enabled", label: t("admin.enabled"), type: "checkbox", value: true },
      ],
    },
    columns: [
      { label: t("admin.model_name"), value: (m) => h("div", { class: "cell-stack" }, h("strong", { text: m.name }),
        m.upstream_model && m.upstream_model !== m.name ? h("span", { class: "muted small", text: `→ ${m.upstream_model}` }) : null) },
      { label: t("admin.provider"), value: (m) => providers.get(m.provider) || m.provider },
      { label: t("admin.input_price"), value: (m) => money(m.input_price), num: true },
      { label: t("admin.output_price"), value: (m) => money(m.output_price), num: true },
      { label: t("admin.capabilities"), value: (m) => capabilityList(m.capabilities).map((c) => t(`capability.${c}`)).join(", ") },
      { label: t("admin.status"), value: (m) => statusBadge(m.enabled === false ? "disabled" : "enabled") },
    ],
    actions: (m, reload) => {
      const id = m.model_id || m.name;
      return [
        button(t("admin.edit_prices"), () => editDialog(t("admin.edit_prices_for", { name: m.name }), (v) => updateModel(id, v), [
          { name: "input_price", label: t("admin.input_price"), required: true, value: m.input_price, ...PRICE },
          { name: "output_price", label: t("admin.output_price"), required: true, value: m.output_price, ...PRICE },
          capabilityField(capabilityList(m.capabilities)),
        ], reload)),
        button(m.enabled === false ? t("admin.enable") : t("admin.disable"), (btn) => busy(btn, async () => {
          await updateModel(id, { enabled: m.enabled === false });
          toast(t("admin.saved"), "success");
          reload();
        })),
        button(t("action.delete"), async (btn) => {
          if (!(await confirmDialog(t("action.delete"), t("admin.delete_confirm", { name: m.name }), t("action.delete"), { danger: true }))) return;
          await busy(btn, async () => { await deleteModel(id); toast(t("admin.deleted"), "success"); reload(); });
        }, { kind: "danger" }),
      ];
    },
  });
}
