// Keys and quotas: one key per quota; reset shows the new key once, with a ready SDK snippet.
import { h, mount } from "../dom.js";
import { listModelsOfKey, listMyQuotas, resetMyQuotaKey } from "../endpoints.js";
import { t } from "../i18n.js";
import { proxyBase } from "../config.js";
import { money, num, dateTime, date } from "../format.js";
import { asyncBlock, badge, busy, button, card, confirmDialog, copyButton, emptyState, pageHeader, secretOnce, statusBadge, usageBar } from "../ui.js";

/** The OpenAI Python SDK snippet; the key itself only when it was just shown. */
export function sdkSnippet(key, model) {
  const keyLine = key ? `    api_key="${key}",` : `    api_key=os.environ["KEYLEDGER_API_KEY"],`;
  return [
    key ? null : "import os",
    "from openai import OpenAI",
    "",
    "client = OpenAI(",
    `    base_url="${proxyBase()}",`,
    keyLine,
    ")",
    "reply = client.chat.completions.create(",
    `    model="${model || "MODEL_NAME"}",`,
    '    messages=[{"role": "user", "content": "Hello!"}],',
    ")",
    "print(reply.choices[0].message.content)",
  ].filter((l) => l !== null).join("\n");
}

function snippetBlock(key, model) {
  const code = sdkSnippet(key, model);
  return h("div", { class: "snippet", dataset: key ? { withKey: "1" } : {} },
    h("div", { class: "snippet-head" }, h("span", { text: t("keys.snippet") }), copyButton(code, t("keys.copy_snippet"))),
    h("pre", { tabIndex: 0 }, h("code", { text: code })));
}

export default function render(main) {
  const list = h("div", { class: "stack" });
  mount(main, pageHeader(t("nav.keys"), t("keys.subtitle")), list,
    card(t("keys.use_title"), h("p", { class: "muted", text: t("keys.use_intro", { url: proxyBase() }) }), snippetBlock(null, null)));
  asyncBlock(list, listMyQuotas, (data) => {
    const items = data.items || [];
    if (items.length === 0) return emptyState(t("quota.none"));
    return items.map((q) => quotaCard(q));
  });
}

function quotaCard(q) {
  const key = q.key || {};
  const revealed = h("div", { attrs: { "aria-live": "polite" } });
  const reset = button(t("keys.reset"), (btn) => onReset(btn), { kind: "danger" });
  async function onReset(btn) {
    const ok = await confirmDialog(t("keys.reset_title"), t("keys.reset_confirm", { prefix: key.prefix || "" }), t("keys.reset"), { danger: true });
    if (!ok) return;
    await busy(btn, async () => {
      const res = await resetMyQuotaKey(q.quota_id);
      prefix.textContent = res.prefix ? `${res.prefix}…` : prefix.textContent;
      mount(revealed, secretOnce(t("keys.new_key"), res.key), snippetBlock(res.key, await firstModel(res.key)));
    });
  }
  const prefix = h("code", { text: key.prefix ? `${key.prefix}…` : "—" });
  return card(null,
    h("div", { class: "quota-head" }, h("h2", { class: "card-title", text: q.group }), badge(t(`period.${q.period}`)), statusBadge(key.status || "active")),
    h("dl", { class: "facts" },
      fact(t("keys.prefix"), prefix),
      fact(t("keys.created"), dateTime(key.created_at)),
      fact(t("keys.last_used"), key.last_used_at ? dateTime(key.last_used_at) : t("keys.never")),
      fact(t("quota.rpm_label"), q.rpm ? num(q.rpm) : t("quota.unlimited")),
      fact(t("quota.period_end"), q.period_end ? date(q.period_end) : "—")),
    usageBar(t("quota.cost"), q.used_cost, q.limit_cost, money),
    usageBar(t("quota.tokens"), q.used_tokens, q.limit_tokens, num),
    h("div", { class: "row" }, reset),
    revealed);
}

function fact(label, value) {
  return h("div", {}, h("dt", { text: label }), h("dd", {}, value));
}

/** The first model the new key may use, for the snippet (best effort: the snippet works without). */
async function firstModel(key) {
  try {
    return (await listModelsOfKey(key))[0] || null;
  } catch {
    return null;
  }
}
