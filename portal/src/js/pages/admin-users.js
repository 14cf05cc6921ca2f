// Admin: users. Search, disable/enable, top up, reset every key (the new keys shown once),
// account recovery: unlock, reset the authenticator, a one-time password-reset token (shown once).
import { h, mount } from "../dom.js";
import { t } from "../i18n.js";
import { dateTime, money } from "../format.js";
import { busy, button, confirmDialog, formDialog, secretOnce, statusBadge, toast, card } from "../ui.js";
import { crudPage, mono } from "../admin.js";
import { issuePasswordResetToken, listUsers, resetAllKeysOfUser, resetUserTotp, setUserStatus, topUpUser, unlockUser } from "../endpoints.js";

export default function render(main) {
  const revealed = h("div", { attrs: { "aria-live": "polite" } });
  const reload = crudPage(main, {
    title: t("nav.admin_users"),
    subtitle: t("admin.users_subtitle"),
    list: listUsers,
    search: { param: "q", label: t("admin.search"), placeholder: t("admin.search_placeholder") },
    intro: revealed,
    columns: [
      { label: t("field.username"), value: (u) => h("strong", { text: u.username }) },
      { label: t("field.email"), value: (u) => u.email },
      { label: t("admin.role"), value: (u) => t(`role.${u.role}`) },
      { label: t("admin.status"), value: (u) => statusBadge(u.status) },
      { label: t("balance.available"), value: (u) => (u.balance ? money(u.balance.available) : "—"), num: true },
      { label: t("admin.spend_30d"), value: (u) => money(u.spend ?? "0"), num: true },
      { label: t("admin.created_at"), value: (u) => dateTime(u.created_at) },
      { label: t("admin.id"), value: (u) => mono(u.user_id) },
    ],
    actions: (u, again) => {
      const id = u.user_id;
      const disabled = u.status === "disabled";
      return [
        button(disabled ? t("admin.enable") : t("admin.disable"), async (btn) => {
          const ok = disabled || await confirmDialog(t("admin.disable"), t("admin.disable_confirm", { name: u.username }), t("admin.disable"), { danger: true });
          if (!ok) return;
          await busy(btn, async () => {
            await setUserStatus(id, disabled ? "active" : "disabled");
            toast(t("admin.saved"), "success");
            again();
          });
        }, { kind: disabled ? "" : "danger" }),
        button(t("admin.topup"), () => formDialog(t("admin.topup_title", { name: u.username }), [
          { name: "amount", label: t("admin.amount_usd"), required: true, inputmode: "decimal", pattern: "[0-9]+(\\.[0-9]{1,6})?", placeholder: "10.00" },
          { name: "note", label: t("admin.note") },
        ], t("admin.topup"), async (values) => {
          await topUpUser(id, values);
          toast(t("admin.topped_up", { amount: values.amount, name: u.username }), "success");
        })),
        button(t("admin.reset_keys"), async (btn) => {
          const ok = await confirmDialog(t("admin.reset_keys"), t("admin.reset_keys_confirm", { name: u.username }), t("admin.reset_keys"), { danger: true });
          if (!ok) return;
          await busy(btn, async () => {
            const res = await resetAllKeysOfUser(id);
            const keys = (res && (res.keys || res.items)) || [];
            mount(revealed, card(t("admin.new_keys_for", { name: u.username }),
              keys.length === 0 ? h("p", { class: "muted", text: t("admin.no_keys") }) :
                keys.map((k) => secretOnce(`${k.group || k.quota_id || ""} ${k.prefix ? `(${k.prefix}…)` : ""}`.trim(), k.key)),
              button(t("action.done"), () => mount(revealed), { kind: "ghost" })));
            revealed.scrollIntoView({ block: "nearest" });
          });
        }, { kind: "danger" }),
        button(t("admin.unlock"), (btn) => busy(btn, async () => {
          await unlockUser(id);
          toast(t("admin.unlocked", { name: u.username }), "success");
        })),
        button(t("admin.reset_totp"), async (btn) => {
          const ok = await confirmDialog(t("admin.reset_totp"), t("admin.reset_totp_confirm", { name: u.username }), t("admin.reset_totp"), { danger: true });
          if (!ok) return;
          await busy(btn, async () => {
            await resetUserTotp(id);
            toast(t("admin.totp_reset_done", { name: u.username }), "success");
            again();
          });
        }, { kind: "danger" }),
        button(t("admin.reset_token"), (btn) => busy(btn, async () => {
          const res = await issuePasswordResetToken(id);
          mount(revealed, card(t("admin.reset_token_for", { name: u.username }),
            h("p", { class: "muted", text: t("admin.reset_token_hint", { expires: dateTime(res.expires_at) }) }),
            secretOnce(t("admin.reset_token"), res.reset_token),
            button(t("action.done"), () => mount(revealed), { kind: "ghost" })));
          revealed.scrollIntoView({ block: "nearest" });
        })),
      ];
    },
  });
  return reload;
}
