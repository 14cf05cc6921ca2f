// Pieces shared by registration, login (finishing a pending enrolment) and security (rotation):
// the QR code + manual secret, and the one-time recovery codes.
import { h, base64Utf8 } from "./dom.js";
import { t } from "./i18n.js";
import { button, copyButton, download, secretOnce } from "./ui.js";

/** The QR code (an SVG from our API, shown as an image, never parsed as HTML) and the secret. */
export function totpSetup(totp) {
  const img = h("img", { class: "qr", alt: t("totp.qr_alt"), width: 200, height: 200,
    src: `data:image/svg+xml;base64,${base64Utf8(String(totp.qr_svg || ""))}` });
  const grouped = String(totp.secret || "").replace(/(.{4})/g, "$1 ").trim();
  const uri = String(totp.provisioning_uri || "");
  return h("div", { class: "totp-setup" },
    h("div", { class: "qr-frame" }, img),
    h("div", { class: "totp-text" },
      h("p", { text: t("totp.scan") }),
      h("p", { class: "secret-label", text: t("totp.manual") }),
      h("div", { class: "secret-row" }, h("code", { class: "secret-value", dataset: { totpSecret: totp.secret }, text: grouped }), copyButton(String(totp.secret || ""))),
      uri.startsWith("otpauth://") ? h("p", {}, h("a", { href: uri, text: t("totp.open_app") })) : null));
}

/** The recovery codes, shown once, with a .txt download and an optional first API key. */
export function recoveryCodes(codes, { apiKey, username, onDone, doneLabel, heading = true } = {}) {
  const list = h("ol", { class: "codes" }, (codes || []).map((c) => h("li", {}, h("code", { text: c }))));
  const text = () => [t("recovery.file_header", { user: username || "" }), "", ...(codes || []), ""].join("\n");
  const saved = h("input", { type: "checkbox", id: "codes-saved" });
  const done = onDone ? button(doneLabel || t("action.continue"), () => onDone(), { kind: "primary" }) : null;
  if (done) {
    done.disabled = true;
    saved.addEventListener("change", () => { done.disabled = !saved.checked; });
  }
  return h("div", { class: "recovery", dataset: { recovery: "codes" } },
    heading ? h("h2", { class: "card-title", text: t("recovery.title") }) : null,
    h("p", { class: "hint warn", text: t("recovery.once") }),
    list,
    h("div", { class: "row" },
      button(t("recovery.download"), () => download(`keyledger-recovery-codes${username ? "-" + username : ""}.txt`, text())),
      copyButton(() => (codes || []).join("\n"))),
    // The verify answer's api_key is the issued key ({key_id, key, prefix, quota_id}) or the key itself.
    apiKey ? secretOnce(t("recovery.api_key"), typeof apiKey === "object" ? String(apiKey.key || "") : String(apiKey)) : null,
    done ? h("div", { class: "field-check" }, saved, h("label", { attrs: { for: "codes-saved" }, text: t("recovery.saved") })) : null,
    done ? h("div", { class: "form-actions" }, done) : null);
}
