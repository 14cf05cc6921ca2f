// Registration in three steps: account -> authenticator (QR + secret, first code) -> recovery codes.
import { h, mount } from "../dom.js";
import { register, verifyRegistration } from "../endpoints.js";
import { t } from "../i18n.js";
import { form } from "../ui.js";
import { totpSetup, recoveryCodes } from "../enroll.js";

export default function render(main, ctx) {
  const card = h("section", { class: "auth-card card wide" });
  const steps = h("ol", { class: "steps", attrs: { "aria-label": t("register.steps") } });
  const stepNames = [t("register.step_account"), t("register.step_totp"), t("register.step_codes")];
  const setStep = (n) => mount(steps, stepNames.map((name, i) => h("li", { class: i === n ? "current" : i < n ? "done" : "", attrs: { "aria-current": i === n ? "step" : false }, text: name })));
  const body = h("div");
  mount(main, card);
  card.append(h("h1", { class: "page-title", tabIndex: -1, text: t("register.title") }), steps, body);

  // Step 1: the account.
  setStep(0);
  const specs = [
    { name: "username", label: t("field.username"), required: true, autocomplete: "username", pattern: "[a-z0-9_.\\-]{3,32}", minlength: 3, maxlength: 32, hint: t("register.username_hint") },
    { name: "email", label: t("field.email"), type: "email", required: true, autocomplete: "email" },
    { name: "password", label: t("field.password"), type: "password", required: true, autocomplete: "new-password", minlength: 10, hint: t("register.password_hint") },
  ];
  mount(body, h("p", { class: "muted", text: t("register.subtitle") }), form(specs, t("action.register"), async (values) => {
    const res = await register(values);
    showTotp(values, res.totp || {});
  }), h("p", { class: "switch-link" }, t("register.have_account"), " ", h("a", { href: "#/login", text: t("nav.login") })));

  // Step 2: the authenticator and its first code.
  function showTotp(account, totp) {
    setStep(1);
    const verify = form([{ name: "code", label: t("field.totp_code"), required: true, autocomplete: "one-time-code", inputmode: "numeric", pattern: "[0-9]{6}", maxlength: 6, hint: t("register.code_hint") }],
      t("register.verify"), async ({ code }) => {
        const res = await verifyRegistration({ username: account.username, password: account.password, code });
        showCodes(account, res);
      });
    verify.id = "verify-form";
    mount(body, h("p", { text: t("register.totp_intro") }), totpSetup(totp), verify);
    body.querySelector("input[name=code]").focus();
  }

  // Step 3: the recovery codes (and the first API key), shown once.
  function showCodes(account, res) {
    setStep(2);
    account.password = "";
    mount(body, h("p", { class: "success-text", text: t("register.done") }),
      recoveryCodes(res.recovery_codes, { apiKey: res.api_key, username: account.username, doneLabel: t("register.go_login"), onDone: () => ctx.navigate("/login") }));
  }
}
