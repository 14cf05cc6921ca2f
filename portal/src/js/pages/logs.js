// Operation logs: filter by type and date range, cursor paging.
import { h, mount } from "../dom.js";
import { listLogs } from "../endpoints.js";
import { t, has } from "../i18n.js";
import { dateTime, dayStart, dayAfter } from "../format.js";
import { badge, button, card, field, pageHeader, pagedList, table } from "../ui.js";

export const LOG_TYPES = ["auth", "security", "account", "keys", "billing", "admin", "system", "usage"];

export default function render(main) {
  const specs = [
    { name: "type", label: t("logs.type"), type: "select", plain: true, options: [{ value: "", label: t("logs.all_types") }, ...LOG_TYPES.map((v) => ({ value: v, label: t(`logtype.${v}`) }))] },
    { name: "from", label: t("field.from"), type: "date", plain: true },
    { name: "to", label: t("field.to"), type: "date", plain: true },
  ];
  const filters = h("form", { class: "filters" }, specs.map(field), h("div", { class: "filter-actions" }, button(t("action.apply"), null, { kind: "primary", type: "submit" })));
  const holder = h("div");
  const columns = [
    { label: t("usage.time"), value: (r) => dateTime(r.created_at) },
    { label: t("logs.type"), value: (r) => badge(has(`logtype.${r.type}`) ? t(`logtype.${r.type}`) : r.type) },
    { label: t("logs.action"), value: (r) => r.action },
    { label: t("usage.ip"), value: (r) => r.ip },
    { label: t("logs.detail"), value: (r) => detail(r.detail), wrap: true },
  ];
  const draw = () => {
    const el = filters.elements;
    const query = { type: el.namedItem("type").value };
    const from = el.namedItem("from").value;
    const to = el.namedItem("to").value;
    if (from) query.from = dayStart(from);
    if (to) query.to = dayAfter(to);
    mount(holder, pagedList((cursor) => listLogs({ ...query, cursor }),
      (items) => table(columns, items, { empty: t("logs.none"), caption: t("nav.logs") })));
  };
  filters.addEventListener("submit", (ev) => { ev.preventDefault(); draw(); });
  mount(main, pageHeader(t("nav.logs"), t("logs.subtitle")), card(null, filters, holder));
  draw();
}

function detail(value) {
  if (value === null || value === undefined || value === "") return "—";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text.length <= 60) return h("code", { class: "small", text });
  return h("details", {}, h("summary", { text: `${text.slice(0, 48)}…` }), h("pre", { class: "small" }, h("code", { text: JSON.stringify(value, null, 2) })));
}
