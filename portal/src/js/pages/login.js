// Log in: password plus an authenticator code or a recovery code.
import { h, mount } from "../dom.js";
import { fetchMe, login, verifyRegistration } from "../endpoints.js";
import { session } from "../session.js";
import { t } from "../i18n.js";
import { busy, button, errorBox, field, readForm, toast } from "../ui.js";
import { recoveryCodes, totpSetup } from "../enroll.js";

const MESSAGES = {
  423: "login.locked",
  429: "login.throttled",
};

export default function render(main, ctx) {
  const specs = [
    { name: "username", label: t("field.username"), required: true, autocomplete: "username", maxlength: 32 },
    { name: "password", label: t("field.password"), type: "password", required: true, autocomplete: "current-password" },
  ];
  const codeSpec = { name: "code", label: t("field.totp_code"), required: true, autocomplete: "one-time-code", inputmode: "numeric", pattern: "[0-9]{6}", maxlength: 6, hint: t("login.totp_hint") };
  const recoverySpec = { name: "code", label: t("field.recovery_code"), required: true, autocomplete: "off", hint: t("login.recovery_hint") };
  let useRecovery = false;

  const codeSlot = h("div");
  const drawCode = () => mount(codeSlot, field(useRecovery ? recoverySpec : codeSpec));
  const modeName = "code-mode";
  const radio = (value, label, checked) => {
    const id = `mode-${value}`;
    return h("div", { class: "field-check" },
      h("input", { type: "radio", id, name: modeName, value, checked, onchange: () => { useRecovery = value === "recovery"; drawCode(); } }),
      h("label", { attrs: { for: id }, text: label }));
  };
  const modes = h("fieldset", { class: "field segmented" }, h("legend", { text: t("login.second_factor") }),
    radio("totp", t("login.use_totp"), true), radio("recovery", t("login.use_recovery"), false));
  drawCode();

  const problem = h("div", { class: "form-problem", attrs: { "aria-live": "assertive" } });
  const submit = button(t("action.login"), null, { kind: "primary", type: "submit" });
  submit.id = "login-submit";
  const form = h("form", { class: "form", id: "login-form" }, specs.map(field), modes, codeSlot, problem, h("div", { class: "form-actions" }, submit));

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!form.reportValidity()) return;
    const values = readForm(form, [...specs, { name: "code" }]);
    const body = { username: values.username, password: values.password };
    if (useRecovery) body.recovery_code = values.code; else body.totp_code = values.code;
    busy(submit, async () => {
      mount(problem);
      try {
        const pair = await login(body);
        session.store(pair);
        session.me = await fetchMe();
        toast(t("login.welcome", { name: session.me.username }), "success");
        ctx.navigate(ctx.afterLogin());
      } catch (err) {
        const key = MESSAGES[err.status];
        const shown = key ? { ...err, message: t(key) } : err;
        if (err.code === "totp_enrollment_required" && err.details && err.details.totp) {
          mount(problem, enrolAtLogin(body, err.details.totp, ctx));
        } else if (err.code === "totp_enrollment_required") mount(problem, pendingEnrolment(body, values.code, ctx));
        else mount(problem, errorBox(shown));
      }
    }, { quiet: false });
  });

  mount(main, h("section", { class: "auth-card card" },
    h("h1", { class: "page-title", tabIndex: -1, text: t("login.title") }),
    h("p", { class: "muted", text: t("login.subtitle") }),
    form,
    h("p", { class: "switch-link" }, t("login.no_account"), " ", h("a", { href: "#/register", text: t("nav.register") }))));
}

/** An admin-created or TOTP-reset account: scan the new secret, confirm it with its first code. */
function enrolAtLogin(body, totp, ctx) {
  const box = h("div", { class: "alert alert-warn", attrs: { role: "alert" } },
    h("p", { class: "alert-title", text: t("err.totp_enrollment_required") }),
    h("p", { text: t("login.enrol_hint") }), totpSetup(totp));
  const code = field({ name: "enrol_code", label: t("field.totp_code_new"), required: true, autocomplete: "one-time-code", inputmode: "numeric", pattern: "[0-9]{6}", maxlength: 6 });
  const finish = button(t("login.finish_enrolment"), (btn) => busy(btn, async () => {
    const input = /** @type {HTMLInputElement} */ (box.querySelector("input[name=enrol_code]"));
    const res = await verifyRegistration({ username: body.username, password: body.password, code: input.value.trim() });
    const main = document.getElementById("main");
    mount(main, h("section", { class: "auth-card card" }, recoveryCodes(res.recovery_codes, {
      username: body.username, doneLabel: t("register.go_login"), onDone: () => ctx.navigate("/login") })));
  }), { kind: "primary" });
  box.append(code, finish);
  return box;
}

/** A pending account: offer to confirm the enrolment with the code just typed. */
function pendingEnrolment(body, code, ctx) {
  const box = h("div", { class: "alert alert-warn", attrs: { role: "alert" } },
    h("p", { class: "alert-title", text: t("err.totp_enrollment_required") }),
    h("p", { text: t("login.pending_hint") }));
  const finish = button(t("login.finish_enrolment"), (btn) => busy(btn, async () => {
    const res = await verifyRegistration({ username: body.username, password: body.password, code });
    const main = document.getElementById("main");
    mount(main, h("section", { class: "auth-card card" }, recoveryCodes(res.recovery_codes, {
      apiKey: res.api_key, username: body.username, doneLabel: t("register.go_login"), onDone: () => ctx.navigate("/login") })));
  }), { kind: "primary" });
  if (/^[0-9]{6}$/.test(code || "")) box.append(finish);
  return box;
}
