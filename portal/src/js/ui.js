// Shared pieces: messages, loading and error states, busy buttons, tables, cursor paging,
// forms, dialogs, downloads and copy buttons. All text is set as text.
import { h, mount, uid } from "./dom.js";
import { t, has } from "./i18n.js";

/** The message for an error: our translation when we know the code, else the API's sentence. */
export function errorText(err) {
  const code = err && err.code;
  if (code && has(`err.${code}`)) return t(`err.${code}`);
  return (err && err.message) || t("error.unknown");
}

/** A short-lived message in the aria-live region. kind: info | success | error. */
export function toast(message, kind = "info") {
  const region = document.getElementById("toasts");
  if (!region) return;
  const item = h("div", { class: ["toast", `toast-${kind}`], attrs: { role: kind === "error" ? "alert" : "status" } },
    h("span", { class: "toast-text", text: message }),
    h("button", { class: "toast-close", type: "button", attrs: { "aria-label": t("action.dismiss") }, text: "×", onclick: () => item.remove() }));
  region.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 9000 : 5000);
}

export function toastError(err) { toast(`${errorText(err)} (${err.code || "error"})`, "error"); }

export function spinner(label = t("state.loading")) {
  return h("span", { class: "spinner", attrs: { role: "status" } }, h("span", { class: "visually-hidden", text: label }));
}

export function loading() {
  return h("div", { class: "state state-loading", dataset: { state: "loading" } }, spinner(), h("span", { text: t("state.loading") }));
}

/** The error state: what went wrong (message and code) and a way to try again. */
export function errorBox(err, onRetry) {
  return h("div", { class: "alert alert-error", dataset: { state: "error" }, attrs: { role: "alert" } },
    h("p", { class: "alert-title", text: t("state.error_title") }),
    h("p", {}, h("span", { text: errorText(err) }), " ", h("code", { class: "err-code", text: err.code || "error" })),
    err.status === 0 ? h("p", { class: "muted", text: t("error.network_hint") }) : null,
    onRetry ? h("button", { type: "button", class: "btn", text: t("action.retry"), onclick: onRetry }) : null);
}

export function emptyState(text) { return h("p", { class: "state state-empty", dataset: { state: "empty" }, text }); }

/** Loads data into a container: spinner, then render(data) or the error state with retry. */
export function asyncBlock(container, loader, render) {
  const run = async () => {
    mount(container, loading());
    container.setAttribute("aria-busy", "true");
    try {
      const data = await loader();
      mount(container, render(data, run));
    } catch (err) {
      if (err && err.code === "session_expired") return;
      mount(container, errorBox(err, run));
    } finally {
      container.removeAttribute("aria-busy");
    }
  };
  run();
  return run;
}

/** Runs fn with the button disabled and a spinner; errors become a toast. Returns fn's result. */
export async function busy(button, fn, { quiet = false } = {}) {
  if (button.disabled) return undefined;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  const spin = spinner(t("state.working"));
  button.prepend(spin);
  try {
    return await fn();
  } catch (err) {
    if (!quiet && err && err.code !== "session_expired") toastError(err);
    if (quiet) throw err;
    return undefined;
  } finally {
    spin.remove();
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

export function button(label, onclick, { kind = "", type = "button", attrs } = {}) {
  const el = h("button", { type, class: ["btn", kind && `btn-${kind}`], attrs });
  el.append(h("span", { text: label }));
  if (onclick) el.addEventListener("click", () => onclick(el));
  return el;
}

export function badge(text, kind = "neutral") { return h("span", { class: ["badge", `badge-${kind}`], text }); }

export function statusBadge(status) {
  const kind = { active: "ok", enabled: "ok", ok: "ok", healthy: "ok", disabled: "off", revoked: "off", expired: "off",
    pending_totp: "warn", locked: "warn", degraded: "warn", error: "bad", down: "bad", failed: "bad" }[status] || "neutral";
  const key = `status.${status}`;
  return badge(has(key) ? t(key) : String(status ?? "—"), kind);
}

/** A card with a heading. */
export function card(title, ...children) {
  return h("section", { class: "card" }, title ? h("h2", { class: "card-title", text: title }) : null, ...children);
}

/**
 * A table. columns: [{label, value(row) -> string|Node, num?: bool}].
 * Wrapped in a scroll box so narrow screens scroll the table, never the page.
 */
export function table(columns, rows, { empty = t("state.empty"), caption } = {}) {
  if (!rows || rows.length === 0) return emptyState(empty);
  const thead = h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : "", text: c.label }))));
  const tbody = h("tbody", {}, rows.map((row) => h("tr", {}, columns.map((c) => {
    const v = c.value(row);
    return h("td", { class: [c.num && "num", c.wrap && "wrap"], dataset: { label: c.label } }, v === null || v === undefined || v === "" ? "—" : v);
  }))));
  return h("div", { class: "table-wrap", attrs: { tabindex: "0", role: "region", "aria-label": caption || t("a11y.table") } },
    h("table", {}, caption ? h("caption", { class: "visually-hidden", text: caption }) : null, thead, tbody));
}

/**
 * A cursor-paged list: load(cursor) -> {items, next_cursor}; render(items) -> Node.
 * Keeps the cursors seen so "previous" works without the API supporting it.
 */
export function pagedList(load, render) {
  const root = h("div", { class: "paged" });
  const body = h("div");
  const status = h("span", { class: "muted page-no" });
  const prev = button(t("action.previous"), () => go(page - 1));
  const next = button(t("action.next"), () => go(page + 1));
  const cursors = [null];
  let page = 0;
  const nav = h("nav", { class: "pager", attrs: { "aria-label": t("a11y.pagination") } }, prev, status, next);
  root.append(body, nav);

  async function go(target) {
    const cursor = cursors[target];
    if (target < 0 || cursor === undefined) return;
    mount(body, loading());
    prev.disabled = true;
    next.disabled = true;
    try {
      const data = await load(cursor);
      page = target;
      cursors[page + 1] = data && data.next_cursor ? data.next_cursor : undefined;
      cursors.length = page + 2;
      mount(body, render((data && data.items) || []));
      prev.disabled = page === 0;
      next.disabled = cursors[page + 1] === undefined;
      status.textContent = t("pager.page", { n: page + 1 });
      nav.hidden = page === 0 && next.disabled;
    } catch (err) {
      if (err && err.code === "session_expired") return;
      mount(body, errorBox(err, () => go(target)));
    }
  }
  root.reload = () => { cursors.length = 1; go(0); };
  root.reload();
  return root;
}

/**
 * A labelled input. spec: {name, label, type, required, value, hint, options: [{value,label}],
 * min, max, step, autocomplete, inputmode, pattern, placeholder}.
 */
export function field(spec) {
  const id = uid(spec.name);
  const hintId = spec.hint ? `${id}-hint` : undefined;
  const common = { id, name: spec.name, required: Boolean(spec.required),
    attrs: { "aria-describedby": hintId, autocomplete: spec.autocomplete || "off", inputmode: spec.inputmode,
      pattern: spec.pattern, placeholder: spec.placeholder, min: spec.min, max: spec.max, step: spec.step,
      maxlength: spec.maxlength, minlength: spec.minlength } };
  let control;
  if (spec.type === "select") {
    control = h("select", common, (spec.options || []).map((o) => h("option", { value: o.value, text: o.label, selected: String(o.value) === String(spec.value ?? "") })));
  } else if (spec.type === "checkbox") {
    control = h("input", { ...common, type: "checkbox", checked: Boolean(spec.value) });
    return h("div", { class: "field field-check" }, control, h("label", { attrs: { for: id }, text: spec.label }),
      spec.hint ? h("p", { id: hintId, class: "hint", text: spec.hint }) : null);
  } else if (spec.type === "checkboxes") {
    const chosen = new Set(spec.value || []);
    const box = h("fieldset", { class: "field checks", dataset: { name: spec.name, kind: "checkboxes" } }, h("legend", { text: spec.label }),
      (spec.options || []).length === 0 ? h("p", { class: "muted", text: t("state.empty") }) : null,
      (spec.options || []).map((o) => {
        const cid = uid(spec.name);
        return h("div", { class: "field-check" }, h("input", { id: cid, type: "checkbox", value: o.value, checked: chosen.has(o.value) }), h("label", { attrs: { for: cid }, text: o.label }));
      }), spec.hint ? h("p", { class: "hint", text: spec.hint }) : null);
    return box;
  } else if (spec.type === "textarea") {
    control = h("textarea", { ...common, rows: spec.rows || 3, value: spec.value ?? "" });
  } else {
    control = h("input", { ...common, type: spec.type || "text", value: spec.value ?? "" });
  }
  return h("div", { class: "field" }, h("label", { attrs: { for: id }, text: spec.label + (spec.required || spec.plain ? "" : ` (${t("form.optional")})`) }),
    control, spec.hint ? h("p", { id: hintId, class: "hint", text: spec.hint }) : null);
}

/** Reads a form built from field specs: numbers for number fields, booleans, arrays; "" left out. */
export function readForm(form, specs) {
  const out = {};
  for (const spec of specs) {
    if (spec.type === "checkboxes") {
      const box = form.querySelector(`fieldset[data-name="${spec.name}"]`);
      out[spec.name] = [...box.querySelectorAll("input:checked")].map((i) => i.value);
      continue;
    }
    const el = form.elements.namedItem(spec.name);
    if (!el) continue;
    if (spec.type === "checkbox") out[spec.name] = el.checked;
    else if (el.value.trim() === "") { if (spec.emptyAs !== undefined) out[spec.name] = spec.emptyAs; }
    else if (spec.type === "number") out[spec.name] = Number(el.value);
    else if (spec.type === "password") out[spec.name] = el.value;
    else out[spec.name] = el.value.trim();
  }
  return out;
}

/** A form from specs; onSubmit(values, submitButton) runs with the button busy. */
export function form(specs, submitLabel, onSubmit, { extra } = {}) {
  const submit = button(submitLabel, null, { kind: "primary", type: "submit" });
  const el = h("form", { class: "form", attrs: { novalidate: false } }, specs.map(field), extra || null, h("div", { class: "form-actions" }, submit));
  el.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!el.reportValidity()) return;
    busy(submit, () => onSubmit(readForm(el, specs), submit));
  });
  return el;
}

function dialogShell(title) {
  const dlg = h("dialog", { class: "dialog", attrs: { "aria-labelledby": "" } });
  const heading = h("h2", { id: uid("dlg"), class: "dialog-title", text: title });
  dlg.setAttribute("aria-labelledby", heading.id);
  dlg.append(heading);
  dlg.addEventListener("close", () => setTimeout(() => dlg.remove(), 0));
  document.body.append(dlg);
  return dlg;
}

/** Asks for confirmation; resolves true or false. */
export function confirmDialog(title, message, confirmLabel, { danger = false } = {}) {
  return new Promise((resolve) => {
    const dlg = dialogShell(title);
    const no = button(t("action.cancel"), () => dlg.close("no"));
    const yes = button(confirmLabel, () => dlg.close("yes"), { kind: danger ? "danger" : "primary" });
    dlg.append(h("p", { text: message }), h("div", { class: "form-actions" }, no, yes));
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "yes"));
    dlg.showModal();
    no.focus();
  });
}

/** A modal form; onSubmit(values) runs with the button busy, the dialog closes on success. */
export function formDialog(title, specs, submitLabel, onSubmit, { intro } = {}) {
  const dlg = dialogShell(title);
  const cancel = button(t("action.cancel"), () => dlg.close());
  const submit = button(submitLabel, null, { kind: "primary", type: "submit" });
  const problem = h("div", { attrs: { "aria-live": "assertive" } });
  const el = h("form", { class: "form", attrs: { method: "dialog" } }, intro ? h("p", { class: "muted", text: intro }) : null,
    specs.map(field), problem, h("div", { class: "form-actions" }, cancel, submit));
  el.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!el.reportValidity()) return;
    busy(submit, async () => {
      mount(problem);
      try {
        await onSubmit(readForm(el, specs));
        dlg.close("ok");
      } catch (err) {
        mount(problem, errorBox(err));
      }
    });
  });
  dlg.append(el);
  dlg.showModal();
  return dlg;
}

/** Saves text (or a Blob) as a file through a temporary object URL. */
export function download(filename, content, type = "text/plain;charset=utf-8") {
  const blob = content instanceof Blob ? content : new Blob([content], { type });
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: filename, class: "visually-hidden" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast(t("copy.done"), "success");
  } catch {
    toast(t("copy.failed"), "error");
  }
}

export function copyButton(getText, label = t("action.copy")) {
  return button(label, () => copyText(typeof getText === "function" ? getText() : getText), { kind: "ghost" });
}

/** A secret shown once: the value, a copy button and the warning. */
export function secretOnce(label, value, { warning = t("secret.once") } = {}) {
  return h("div", { class: "secret", dataset: { secret: "once" } },
    h("p", { class: "secret-label", text: label }),
    h("div", { class: "secret-row" }, h("code", { class: "secret-value", text: value }), copyButton(value)),
    h("p", { class: "hint warn", text: warning }));
}

/** A usage bar: used of limit (null limit -> "no limit"). */
export function usageBar(label, used, limit, fmt, { compact = false } = {}) {
  const l = Number.parseFloat(limit);
  const unlimited = limit === null || limit === undefined || limit === "" || !Number.isFinite(l) || l <= 0;
  const u = Number.parseFloat(used) || 0;
  const id = uid("bar");
  const text = unlimited ? t("quota.used_unlimited", { used: fmt(used ?? 0) }) : t("quota.used_of", { used: fmt(used ?? 0), limit: fmt(limit) });
  const bar = unlimited ? null : h("progress", { id, max: l, value: Math.min(u, l), attrs: { "aria-label": `${label}: ${text}` } });
  const share = unlimited ? 0 : u / l;
  return h("div", { class: ["usage", share >= 0.9 ? "usage-high" : share >= 0.7 ? "usage-mid" : ""] },
    h("div", { class: "usage-head" }, h("span", { class: compact ? "visually-hidden" : "", text: label }), h("span", { class: "muted", text })), bar);
}

export function pageHeader(title, subtitle, ...actions) {
  return h("header", { class: "page-head" },
    h("div", {}, h("h1", { class: "page-title", tabIndex: -1, text: title }), subtitle ? h("p", { class: "muted", text: subtitle }) : null),
    actions.length ? h("div", { class: "page-actions" }, actions) : null);
}
