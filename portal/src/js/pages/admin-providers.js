// Admin: upstream providers. Add (the API key is write-only), test, sync models, health.
// Amazon Bedrock providers have a region (and an optional inference profile and role) instead of
// a base URL and a key: the deployment's IAM role signs their calls. An OpenAI-compatible provider
// can be marked as serving the Responses API itself (/v1/responses is then passed through to it).
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { dateTime, num } from "../format.js";
import { badge, busy, button, confirmDialog, statusBadge, toast } from "../ui.js";
import { crudPage, editDialog, mono } from "../admin.js";
import { createProvider, deleteProvider, listProviders, syncProviderModels, testProvider, updateProvider } from "../endpoints.js";

const count = (v) => (Array.isArray(v) ? v.length : Number(v) || 0);
const BEDROCK = ["region", "inference_profile", "role_arn"];
const responsesApiField = (value) => ({ name: "responses_api", label: t("admin.responses_api"), type: "checkbox", value,
  hint: t("admin.responses_api_hint") });

/** The form's flat values as the API takes them: Bedrock's settings nested under `bedrock`;
 * `responses_api` only for OpenAI-compatible providers (when adding one, only when ticked). */
function providerBody(values, type, adding = false) {
  const { responses_api: responsesApi, ...rest } = values;
  const body = Object.fromEntries(Object.entries(rest).filter(([k]) => !BEDROCK.includes(k)));
  if (type === "openai" && responsesApi !== undefined && (responsesApi || !adding)) body.responses_api = responsesApi;
  if (type !== "bedrock") return body;
  const bedrock = Object.fromEntries(BEDROCK.filter((k) => values[k]).map((k) => [k, values[k]]));
  return Object.keys(bedrock).length ? { ...body, bedrock } : body;
}

function bedrockFields(settings) {
  const hint = t("admin.bedrock_only");
  return [
    { name: "region", label: t("admin.region"), placeholder: "us-east-1", value: settings?.region, hint },
    { name: "inference_profile", label: t("admin.inference_profile"), placeholder: "us", value: settings?.inference_profile, hint: t("admin.inference_profile_hint") },
    { name: "role_arn", label: t("admin.role_arn"), value: settings?.role_arn, hint },
  ];
}

export default function render(main) {
  const typeOptions = [{ value: "openai", label: "OpenAI-compatible" }, { value: "anthropic", label: "Anthropic" },
    { value: "bedrock", label: "Amazon Bedrock (IAM)" }];
  crudPage(main, {
    title: t("nav.admin_providers"),
    subtitle: t("admin.providers_subtitle"),
    list: listProviders,
    create: {
      label: t("admin.add_provider"),
      submit: (v) => createProvider(providerBody(v, v.type, true)),
      intro: t("admin.key_write_only"),
      fields: () => [
        { name: "name", label: t("admin.name"), required: true },
        { name: "type", label: t("admin.type"), type: "select", required: true, value: "openai", options: typeOptions },
        { name: "base_url", label: t("admin.base_url"), type: "url", placeholder: "https://api.openai.com/v1", hint: t("admin.base_url_hint") },
        { name: "api_key", label: t("admin.api_key"), type: "password", autocomplete: "new-password" },
        responsesApiField(false),
        ...bedrockFields(null),
      ],
    },
    columns: [
      { label: t("admin.name"), value: (p) => h("strong", { text: p.name }) },
      { label: t("admin.type"), value: (p) => p.type },
      { label: t("admin.base_url"), value: (p) => mono(p.base_url) },
      { label: t("admin.api_key"), value: (p) => (p.api_key_hint ? h("code", { class: "small", text: p.api_key_hint }) : badge(t("admin.key_missing"), "warn")) },
      { label: t("admin.health"), value: (p) => health(p) },
    ],
    actions: (p, reload) => {
      const id = p.provider_id;
      const result = h("span", { class: "result small", attrs: { "aria-live": "polite" } });
      return [
        button(t("admin.test"), (btn) => busy(btn, async () => {
          const res = await testProvider(id);
          result.textContent = t("admin.test_result", { ok: res.ok ? t("admin.ok") : t("admin.failed"), latency: num(res.latency_ms), detail: res.detail || "" });
          result.className = `result small ${res.ok ? "pos" : "neg"}`;
          toast(result.textContent, res.ok ? "success" : "error");
        })),
        button(t("admin.sync"), (btn) => busy(btn, async () => {
          const res = await syncProviderModels(id);
          const msg = t("admin.sync_result", { added: count(res.added), updated: count(res.updated), unchanged: count(res.unchanged) });
          result.textContent = msg;
          result.className = "result small";
          toast(msg, "success");
        })),
        button(t("action.edit"), () => editDialog(t("admin.edit_provider", { name: p.name }), (v) => updateProvider(id, providerBody(v, p.type)),
          p.type === "bedrock"
            ? [{ name: "name", label: t("admin.name"), required: true, value: p.name }, ...bedrockFields(p.bedrock)]
            : [
              { name: "name", label: t("admin.name"), required: true, value: p.name },
              { name: "base_url", label: t("admin.base_url"), type: "url", required: true, value: p.base_url },
              { name: "api_key", label: t("admin.api_key_new"), type: "password", autocomplete: "new-password", hint: t("admin.api_key_keep") },
              ...(p.type === "openai" ? [responsesApiField(Boolean(p.responses_api))] : []),
            ], reload)),
        button(t("action.delete"), async (btn) => {
          if (!(await confirmDialog(t("action.delete"), t("admin.delete_confirm", { name: p.name }), t("action.delete"), { danger: true }))) return;
          await busy(btn, async () => { await deleteProvider(id); toast(t("admin.deleted"), "success"); reload(); });
        }, { kind: "danger" }),
        result,
      ];
    },
  });
}

/** Health is {healthy, last_test_ok, last_test_at, last_latency_ms, last_error, ...} (or a plain status). */
function health(p) {
  const hl = p.health;
  if (!hl || typeof hl !== "object") return statusBadge(hl || p.status || "unknown");
  const status = !hl.healthy ? "down" : hl.last_test_ok === false ? "degraded" : hl.last_test_at ? "healthy" : "unknown";
  const detail = hl.last_test_at
    ? t("admin.last_test", { when: dateTime(hl.last_test_at), latency: hl.last_latency_ms === null || hl.last_latency_ms === undefined ? "—" : num(hl.last_latency_ms) })
    : null;
  return h("span", { class: "health" }, statusBadge(status), detail ? h("span", { class: "muted small", text: detail }) : null,
    hl.last_error ? h("span", { class: "neg small", title: hl.last_error, text: hl.last_error.slice(0, 80) }) : null);
}
