// The shape every admin page shares: a header with "add", an optional search, a paged table
// with per-row actions, and dialogs for create and edit.
import { h, mount } from "./dom.js";
import { t } from "./i18n.js";
import { button, card, field, formDialog, pageHeader, pagedList, table, toast } from "./ui.js";

/**
 * crudPage(main, {title, subtitle, list(query) -> Promise<page>, columns, actions(row, reload) -> Node[],
 *   create: {label, fields: () => specs, submit(values)}, search: {param, label, placeholder}?, intro: Node})
 * `list` and `submit` are endpoints.js functions. Only the query parameters a list route knows
 * are passed (`cursor`, and the search's own).
 */
export function crudPage(main, cfg) {
  const holder = h("div");
  let q = "";
  const reload = () => mount(holder, pagedList(
    (cursor) => cfg.list(cfg.search ? { cursor, [cfg.search.param]: q } : { cursor }).then((res) => (Array.isArray(res) ? { items: res } : res || { items: [] })),
    (items) => table(cfg.actions ? [...cfg.columns, { label: t("admin.actions"), value: (row) => h("div", { class: "row-actions" }, cfg.actions(row, reload)) }] : cfg.columns,
      items, { empty: t("admin.none"), caption: cfg.title })));
  const head = [];
  if (cfg.create) {
    const add = button(cfg.create.label, async () => {
      const fields = await cfg.create.fields();
      formDialog(cfg.create.label, fields, t("action.save"), async (values) => {
        const res = await cfg.create.submit(values);
        toast(t("admin.created"), "success");
        if (cfg.create.after) cfg.create.after(res);
        reload();
      }, { intro: cfg.create.intro });
    }, { kind: "primary" });
    add.id = "admin-add";
    head.push(add);
  }
  let search = null;
  if (cfg.search) {
    search = h("form", { class: "filters", attrs: { role: "search" } }, field({ name: "q", label: cfg.search.label, type: "search", plain: true, placeholder: cfg.search.placeholder }),
      h("div", { class: "filter-actions" }, button(t("action.search"), null, { kind: "primary", type: "submit" })));
    search.addEventListener("submit", (ev) => { ev.preventDefault(); q = search.elements.namedItem("q").value.trim(); reload(); });
  }
  mount(main, pageHeader(cfg.title, cfg.subtitle, ...head), cfg.intro || null, card(null, search, holder));
  reload();
  return reload;
}

/** An edit dialog that saves the changed values with save(values) (an endpoints.js update). */
export function editDialog(title, save, fields, reload, { transform } = {}) {
  formDialog(title, fields, t("action.save"), async (values) => {
    await save(transform ? transform(values) : values);
    toast(t("admin.saved"), "success");
    reload();
  });
}

/** A column of id-ish text in monospace. */
export function mono(text) { return text ? h("code", { class: "small", text }) : "—"; }

export const PERIODS = ["day", "week", "month", "none"];
export function periodOptions() { return PERIODS.map((p) => ({ value: p, label: t(`period.${p}`) })); }

/** Loads a list for a select (groups, models, providers) with an endpoints.js list function; [] when it fails (the form still works). */
export async function optionsFrom(list, valueKey, labelKey = "name") {
  try {
    const res = await list();
    return ((res && res.items) || []).map((i) => ({ value: String(i[valueKey] ?? i[labelKey]), label: String(i[labelKey] ?? i[valueKey]) }));
  } catch {
    return [];
  }
}
