// Admin: upstream providers. Add (the API key is write-only), test, sync models, health.
import { h } from "../dom.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { dateTime, num } from "../format.js";
import { badge, busy, button, confirmDialog, statusBadge, toast } from "../ui.js";
import { crudPage, editDialog, mono } from "../admin.js";

const count = (v) => (Array.isArray(v) ? v.length : Number(v) || 0);

export default function render(main) {
  const typeOptions = [{ value: "openai", label: "OpenAI-compatible" }, { value: "anthropic", label: "Anthropic" }];
  crudPage(main, {
    title: t("nav.admin_providers"),
    subtitle: t("admin.providers_subtitle"),
    path: "/api/admin/providers",
    create: {
      label: t("admin.add_provider"),
      intro: t("admin.key_write_only"),
      fields: () => [
        { name: "name", label: t("admin.name"), required: true },
        { name: "type", label: t("admin.type"), type: "select", required: true, value: "openai", options: typeOptions },
        { name: "base_url", label: t("admin.base_url"), type: "url", required: true, placeholder: "https://api.openai.com/v1" },
        { name: "api_key", label: t("admin.api_key"), type: "password", autocomplete: "new-password" },
      ],
    },
    columns: [
      { label: t("admin.name"), value: (p) => h("strong", { text: p.name }) },
      { label: t("admin.type"), value: (p) => p.type },
      { label: t("admin.base_url"), value: (p) => mono(p.base_url) },
      { label: t("admin.api_key"), value: (p) => (p.has_api_key === false ? badge(t("admin.key_missing"), "warn") : badge(t("admin.key_set"), "neutral")) },
      { label: t("admin.health"), value: (p) => health(p) },
    ],
    actions: (p, reload) => {
      const id = encodeURIComponent(p.provider_id);
      const result = h("span", { class: "result small", attrs: { "aria-live": "polite" } });
      return [
        button(t("admin.test"), (btn) => busy(btn, async () => {
          const res = await api(`/api/admin/providers/${id}/test`, { method: "POST" });
          result.textContent = t("admin.test_result", { ok: res.ok ? t("admin.ok") : t("admin.failed"), latency: num(res.latency_ms), detail: res.detail || "" });
          result.className = `result small ${res.ok ? "pos" : "neg"}`;
        })),
        button(t("admin.sync"), (btn) => busy(btn, async () => {
          const res = await api(`/api/admin/providers/${id}/sync-models`, { method: "POST" });
          const msg = t("admin.sync_result", { added: count(res.added), updated: count(res.updated), unchanged: count(res.unchanged) });
          result.textContent = msg;
          result.className = "result small";
          toast(msg, "success");
        })),
        button(t("action.edit"), () => editDialog(t("admin.edit_provider", { name: p.name }), `/api/admin/providers/${id}`, [
          { name: "name", label: t("admin.name"), required: true, value: p.name },
          { name: "base_url", label: t("admin.base_url"), type: "url", required: true, value: p.base_url },
          { name: "api_key", label: t("admin.api_key_new"), type: "password", autocomplete: "new-password", hint: t("admin.api_key_keep") },
        ], reload)),
        button(t("action.delete"), async (btn) => {
          if (!(await confirmDialog(t("action.delete"), t("admin.delete_confirm", { name: p.name }), t("action.delete"), { danger: true }))) return;
          await busy(btn, async () => { await api(`/api/admin/providers/${id}`, { method: "DELETE" }); toast(t("admin.deleted"), "success"); reload(); });
        }, { kind: "danger" }),
        result,
      ];
    },
  });
}

function health(p) {
  const status = p.health || p.status;
  const last = p.last_checked_at || p.checked_at;
  return h("span", { class: "stack-tight" }, statusBadge(status || "unknown"), last ? h("span", { class: "muted small", text: dateTime(last) }) : null);
}
