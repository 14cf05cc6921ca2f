// Admin: redemption codes. A batch is generated and its codes are shown (and downloadable) once.
import { h, mount } from "../dom.js";
import { t } from "../i18n.js";
import { money, dateTime } from "../format.js";
import { busy, button, card, confirmDialog, copyButton, download, statusBadge, table, toast } from "../ui.js";
import { crudPage, mono } from "../admin.js";
import { createCodeBatch, listCodeBatches, listCodesOfBatch, revokeCodeBatch } from "../endpoints.js";

/** codes -> CSV text (every cell quoted). */
export function codesCsv(codes, amount) {
  const q = (v) => `"${String(v ?? "").replace(/"/g, '""')}"`;
  return ["code,amount", ...codes.map((c) => `${q(c)},${q(amount)}`)].join("\r\n") + "\r\n";
}

export default function render(main) {
  const revealed = h("div", { attrs: { "aria-live": "polite" } });
  crudPage(main, {
    title: t("nav.admin_codes"),
    subtitle: t("admin.codes_subtitle"),
    list: listCodeBatches,
    intro: revealed,
    create: {
      label: t("admin.generate_codes"),
      fields: () => [
        { name: "count", label: t("admin.count"), type: "number", required: true, min: 1, max: 1000, step: 1, value: 10 },
        { name: "amount", label: t("admin.amount_usd"), required: true, inputmode: "decimal", pattern: "[0-9]+(\\.[0-9]{1,6})?", placeholder: "5.00" },
        { name: "expires_at", label: t("admin.expires"), type: "date", hint: t("admin.expires_hint"), emptyAs: undefined },
        { name: "note", label: t("admin.note") },
      ],
      submit: (v) => createCodeBatch({ ...v, expires_at: v.expires_at ? `${v.expires_at}T23:59:59Z` : undefined }),
      after: (res) => showBatch(revealed, res),
    },
    columns: [
      { label: t("admin.batch"), value: (b) => mono(b.batch_id) },
      { label: t("admin.count"), value: (b) => String(b.count ?? "—"), num: true },
      { label: t("admin.amount"), value: (b) => money(b.amount), num: true },
      { label: t("admin.note"), value: (b) => b.note },
      { label: t("admin.expires"), value: (b) => (b.expires_at ? dateTime(b.expires_at) : t("admin.never_expires")) },
      { label: t("admin.created_at"), value: (b) => dateTime(b.created_at) },
      { label: t("admin.status"), value: (b) => statusBadge(b.revoked_at ? "revoked" : "active") },
    ],
    // The codes themselves are never shown again: only whether each was redeemed.
    actions: (b, reload) => [b.revoked_at ? null : button(t("admin.revoke_batch"), async (btn) => {
      if (!(await confirmDialog(t("admin.revoke_batch"), t("admin.revoke_batch_confirm"), t("admin.revoke_batch"), { danger: true }))) return;
      await busy(btn, async () => {
        const res = await revokeCodeBatch(b.batch_id);
        toast(t("admin.batch_revoked", { n: res.revoked }), "success");
        reload();
      });
    }, { kind: "ghost" }), button(t("admin.code_states"), (btn) => busy(btn, async () => {
      const res = await listCodesOfBatch(b.batch_id);
      mount(revealed, card(t("admin.codes_of_batch", { batch: b.batch_id }), table([
        { label: t("admin.id"), value: (c) => mono(c.code_id) },
        { label: t("admin.status"), value: (c) => statusBadge(c.status) },
        { label: t("admin.redeemed_by"), value: (c) => c.redeemed_by },
        { label: t("admin.redeemed_at"), value: (c) => dateTime(c.redeemed_at) },
      ], res.codes || []), button(t("action.done"), () => mount(revealed), { kind: "ghost" })));
    }))],
  });
}

function showBatch(slot, res) {
  const codes = ((res && (res.codes || res.items)) || []).map((c) => (typeof c === "string" ? c : c.code));
  const amount = res && (res.amount || (res.items && res.items[0] && res.items[0].amount));
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  const name = `keyledger-codes-${res.batch_id || stamp}`;
  mount(slot, card(t("admin.codes_batch", { n: codes.length }),
    h("p", { class: "hint warn", text: t("admin.codes_once") }),
    h("ol", { class: "codes" }, codes.map((c) => h("li", {}, h("code", { text: c })))),
    h("div", { class: "row" },
      button(t("admin.download_txt"), () => download(`${name}.txt`, codes.join("\n") + "\n")),
      button(t("admin.download_csv"), () => download(`${name}.csv`, codesCsv(codes, amount), "text/csv;charset=utf-8")),
      copyButton(() => codes.join("\n")),
      button(t("action.done"), () => mount(slot), { kind: "ghost" }))));
}
