// My provider keys (bring your own key): add, test, see the remaining credit, delete. A model
// written `<name>/<upstream model>` on /v1 then goes to that provider with the user's own key.
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { dateTime, num } from "../format.js";
import { busy, button, confirmDialog, toast } from "../ui.js";
import { crudPage, editDialog, mono } from "../admin.js";
import {
  createMyProvider, deleteMyProvider, listMyProviders, refreshMyProviderBalance, testMyProvider, updateMyProvider,
} from "../endpoints.js";

const KINDS = ["auto", "none", "deepseek", "openrouter", "moonshot", "siliconflow"];

/** A provider's remaining credit as text: "12.50 USD (checked …)", or a dash when it says none. */
export function providerBalance(p) {
  const b = p.balance;
  if (!b) return p.balance_kind ? t("providers.balance_unknown") : t("providers.balance_none");
  return t("providers.balance_value", { amount: trimAmount(b.amount), currency: b.currency, when: dateTime(b.checked_at) });
}

function trimAmount(amount) {
  const [whole, frac = ""] = String(amount).split(".");
  const kept = frac.replace(/0+$/, "").padEnd(2, "0");
  return `${whole}.${kept}`;
}

export default function render(main) {
  const typeOptions = [{ value: "openai", label: "OpenAI-compatible" }, { value: "anthropic", label: "Anthropic" }];
  const kindOptions = KINDS.map((k) => ({ value: k, label: t(`providers.kind_${k}`) }));
  crudPage(main, {
    title: t("nav.providers"),
    subtitle: t("providers.subtitle"),
    list: () => listMyProviders(),
    intro: h("p", { class: "muted", text: t("providers.how_to_use") }),
    create: {
      label: t("providers.add"),
      submit: async (values) => {
        const created = await createMyProvider(values);
        if (created.balance_kind) await refreshMyProviderBalance(created.provider_id).catch(() => null);
        return created;
      },
      intro: t("admin.key_write_only"),
      fields: () => [
        { name: "name", label: t("admin.name"), required: true, pattern: "[A-Za-z0-9][A-Za-z0-9._\\-]*", hint: t("providers.name_hint") },
        { name: "type", label: t("admin.type"), type: "select", required: true, value: "openai", options: typeOptions },
        { name: "base_url", label: t("admin.base_url"), type: "url", required: true, placeholder: "https://api.deepseek.com" },
        { name: "api_key", label: t("admin.api_key"), type: "password", required: true, autocomplete: "new-password" },
        { name: "balance_kind", label: t("providers.balance_kind"), type: "select", value: "auto", options: kindOptions },
        { name: "low_balance_threshold", label: t("providers.threshold"), inputmode: "decimal", pattern: "[0-9]+(\\.[0-9]{1,6})?", placeholder: "5.00", hint: t("providers.threshold_hint") },
      ],
    },
    columns: [
      { label: t("admin.name"), value: (p) => h("strong", { text: p.name }) },
      { label: t("admin.type"), value: (p) => p.type },
      { label: t("admin.base_url"), value: (p) => mono(p.base_url) },
      { label: t("admin.api_key"), value: (p) => h("code", { class: "small", text: p.api_key_hint }) },
      { label: t("providers.balance"), value: (p) => h("span", { class: "provider-balance", dataset: { provider: p.name }, text: providerBalance(p) }) },
    ],
    actions: (p, reload) => {
      const id = p.provider_id;
      const result = h("span", { class: "result small", attrs: { "aria-live": "polite" } });
      return [
        button(t("admin.test"), (btn) => busy(btn, async () => {
          const res = await testMyProvider(id);
          result.textContent = t("admin.test_result", { ok: res.ok ? t("admin.ok") : t("admin.failed"), latency: num(res.latency_ms), detail: res.detail || "" });
          result.className = `result small ${res.ok ? "pos" : "neg"}`;
          toast(result.textContent, res.ok ? "success" : "error");
        })),
        p.balance_kind ? button(t("providers.refresh_balance"), (btn) => busy(btn, async () => {
          await refreshMyProviderBalance(id);
          reload();
        })) : null,
        button(t("action.edit"), () => editDialog(t("admin.edit_provider", { name: p.name }), (v) => updateMyProvider(id, v), [
          { name: "name", label: t("admin.name"), required: true, value: p.name },
          { name: "base_url", label: t("admin.base_url"), type: "url", required: true, value: p.base_url },
          { name: "api_key", label: t("admin.api_key_new"), type: "password", autocomplete: "new-password", hint: t("admin.api_key_keep") },
          { name: "low_balance_threshold", label: t("providers.threshold"), inputmode: "decimal", pattern: "[0-9]+(\\.[0-9]{1,6})?", value: p.low_balance_threshold || "", hint: t("providers.threshold_hint") },
        ], reload)),
        button(t("action.delete"), async (btn) => {
          if (!(await confirmDialog(t("action.delete"), t("providers.delete_confirm", { name: p.name }), t("action.delete"), { danger: true }))) return;
          await busy(btn, async () => { await deleteMyProvider(id); toast(t("admin.deleted"), "success"); reload(); });
        }, { kind: "danger" }),
        result,
      ].filter(Boolean);
    },
  });
}
