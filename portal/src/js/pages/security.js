// Security: login history, IP records, authenticator rotation, fresh recovery codes, password change.
import { h, mount } from "../dom.js";
import { changePassword, confirmTotpRotation, listIpRecords, listLoginHistory, renewRecoveryCodes, startTotpRotation } from "../endpoints.js";
import { t } from "../i18n.js";
import { dateTime, num } from "../format.js";
import { asyncBlock, badge, busy, button, card, form, pageHeader, table, toast } from "../ui.js";
import { totpSetup, recoveryCodes } from "../enroll.js";

export default function render(main) {
  const logins = h("div");
  const ips = h("div");
  const rotation = h("div");
  const codes = h("div");
  const password = h("div");
  mount(main, pageHeader(t("nav.security"), t("security.subtitle")),
    h("div", { class: "grid grid-2" }, card(t("security.totp_title"), rotation), card(t("security.codes_title"), codes)),
    card(t("security.password_title"), password),
    card(t("security.logins"), logins), card(t("security.ips"), ips));

  asyncBlock(logins, listLoginHistory, (data) => table([
    { label: t("security.at"), value: (r) => dateTime(r.at) },
    { label: t("usage.ip"), value: (r) => r.ip },
    { label: t("security.result"), value: (r) => (r.success ? badge(t("security.success"), "ok") : badge(t("security.failure"), "bad")) },
    { label: t("security.reason"), value: (r) => r.reason },
    { label: t("security.agent"), value: (r) => h("span", { class: "truncate", title: r.user_agent || "", text: r.user_agent || "—" }) },
  ], data.items, { caption: t("security.logins") }));

  asyncBlock(ips, listIpRecords, (data) => table([
    { label: t("usage.ip"), value: (r) => h("code", { text: r.ip }) },
    { label: t("security.first_seen"), value: (r) => dateTime(r.first_seen) },
    { label: t("security.last_seen"), value: (r) => dateTime(r.last_seen) },
    { label: t("security.count"), value: (r) => num(r.count), num: true },
  ], data.items, { caption: t("security.ips") }));

  const startRotation = () => mount(rotation, h("p", { class: "muted", text: t("security.totp_intro") }),
    button(t("security.totp_start"), (btn) => busy(btn, async () => {
      const totp = await startTotpRotation();
      const confirm = form([{ name: "code", label: t("field.totp_code_new"), required: true, autocomplete: "one-time-code", inputmode: "numeric", pattern: "[0-9]{6}", maxlength: 6 }],
        t("security.totp_confirm"), async ({ code }) => {
          await confirmTotpRotation(code);
          toast(t("security.totp_done"), "success");
          startRotation();
        });
      mount(rotation, h("p", { class: "hint warn", text: t("security.totp_warn") }), totpSetup(totp), confirm,
        button(t("action.cancel"), () => startRotation(), { kind: "ghost" }));
    }), { kind: "primary" }));
  startRotation();

  const newCodes = () => {
    const f = form([
      { name: "password", label: t("field.password"), type: "password", required: true, autocomplete: "current-password" },
      { name: "code", label: t("field.totp_code"), required: true, autocomplete: "one-time-code", inputmode: "numeric", pattern: "[0-9]{6}", maxlength: 6 },
    ], t("security.codes_generate"), async (values) => {
      const res = await renewRecoveryCodes(values);
      mount(codes, recoveryCodes(res.recovery_codes || res.codes || [], { onDone: newCodes, doneLabel: t("action.done"), heading: false }));
    });
    mount(codes, h("p", { class: "muted", text: t("security.codes_intro") }), f);
  };
  newCodes();

  const passwordForm = () => mount(password, h("p", { class: "muted", text: t("security.password_intro") }), form([
    { name: "current_password", label: t("field.password"), type: "password", required: true, autocomplete: "current-password" },
    { name: "new_password", label: t("security.new_password"), type: "password", required: true, minlength: 10, autocomplete: "new-password" },
    { name: "code", label: t("field.totp_code"), required: true, autocomplete: "one-time-code", inputmode: "numeric", pattern: "[0-9]{6}", maxlength: 6 },
  ], t("security.password_change"), async (values) => {
    await changePassword(values);
    toast(t("security.password_done"), "success");
    passwordForm();
  }));
  passwordForm();
}
