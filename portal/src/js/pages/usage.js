// Usage: statistics grouped by model, provider, day, key or endpoint; the request history
// (cursor paging, a model filter); and the CSV export (fetched with the token).
import { h, mount } from "../dom.js";
import { exportUsageCsv, fetchUsageStatistics, listUsageHistory } from "../endpoints.js";
import { t } from "../i18n.js";
import { money, num, dateTime, isoDay } from "../format.js";
import { asyncBlock, badge, busy, button, card, download, field, pageHeader, pagedList, table } from "../ui.js";

export default function render(main) {
  const filter = h("form", { class: "filters" },
    field({ name: "model", label: t("usage.model"), plain: true, placeholder: t("usage.model_placeholder") }),
    h("div", { class: "filter-actions" }, button(t("action.apply"), null, { kind: "primary", type: "submit" })));
  const holder = h("div");
  let model = "";
  const columns = [
    { label: t("usage.time"), value: (r) => dateTime(r.created_at) },
    { label: t("usage.model"), value: (r) => r.model },
    { label: t("usage.provider"), value: (r) => r.provider },
    { label: t("usage.endpoint"), value: (r) => endpointName(r.endpoint) },
    { label: t("usage.input_tokens"), value: (r) => num(r.input_tokens), num: true },
    { label: t("usage.output_tokens"), value: (r) => num(r.output_tokens), num: true },
    { label: t("usage.cost"), value: (r) => money(r.cost), num: true },
    { label: t("usage.status"), value: (r) => outcome(r) },
    { label: t("usage.latency"), value: (r) => (r.latency_ms === null || r.latency_ms === undefined ? "—" : `${num(r.latency_ms)} ms`), num: true },
    { label: t("usage.ip"), value: (r) => r.ip },
  ];
  const draw = () => mount(holder, pagedList(
    (cursor) => listUsageHistory({ cursor, limit: 25, model }),
    (items) => table(columns, items, { empty: t("usage.none"), caption: t("nav.usage") })));
  filter.addEventListener("submit", (ev) => {
    ev.preventDefault();
    model = filter.elements.namedItem("model").value.trim();
    draw();
  });

  const today = new Date();
  const monthAgo = new Date();
  monthAgo.setUTCDate(monthAgo.getUTCDate() - 30);
  const exportSpecs = [
    { name: "from", label: t("field.from"), type: "date", required: true, value: isoDay(monthAgo) },
    { name: "to", label: t("field.to"), type: "date", required: true, value: isoDay(today) },
  ];
  const exportBtn = button(t("usage.download_csv"), null, { kind: "primary", type: "submit" });
  exportBtn.id = "csv-download";
  const exportForm = h("form", { class: "filters" }, exportSpecs.map(field), h("div", { class: "filter-actions" }, exportBtn));
  exportForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!exportForm.reportValidity()) return;
    const from = exportForm.elements.namedItem("from").value;
    const to = exportForm.elements.namedItem("to").value;
    busy(exportBtn, async () => {
      // Whole UTC days, both ends included.
      download(`keyledger-usage-${from}-${to}.csv`, await exportUsageCsv({ from, to }));
    });
  });

  mount(main, pageHeader(t("nav.usage"), t("usage.subtitle")),
    card(t("usage.statistics"), ...statistics(isoDay(monthAgo), isoDay(today))),
    card(t("usage.history"), filter, holder),
    card(t("usage.export"), h("p", { class: "muted", text: t("usage.export_hint") }), exportForm));
  draw();
}

/** The group-by choices of the statistics, each with its column heading. */
function groups() {
  return [
    { value: "model", label: t("usage.model") },
    { value: "provider", label: t("usage.provider") },
    { value: "day", label: t("usage.day") },
    { value: "key", label: t("usage.key") },
    { value: "endpoint", label: t("usage.endpoint") },
  ];
}

/** A day range and a group-by choice, and the table of requests, tokens and cost per group. */
function statistics(from, to) {
  const specs = [
    { name: "group_by", label: t("usage.group_by"), type: "select", plain: true, value: "model", options: groups() },
    { name: "from", label: t("field.from"), type: "date", required: true, value: from },
    { name: "to", label: t("field.to"), type: "date", required: true, value: to },
  ];
  const form = h("form", { class: "filters", id: "usage-statistics" }, specs.map(field),
    h("div", { class: "filter-actions" }, button(t("action.apply"), null, { kind: "primary", type: "submit" })));
  const holder = h("div");
  const draw = () => {
    const value = (name) => form.elements.namedItem(name).value;
    const query = { group_by: value("group_by"), from: value("from"), to: value("to") };
    const heading = groups().find((g) => g.value === query.group_by)?.label ?? query.group_by;
    const name = query.group_by === "endpoint" ? endpointName : (key) => key;
    asyncBlock(holder, () => fetchUsageStatistics(query), (stats) => table([
      { label: heading, value: (i) => name(i.key) },
      { label: t("usage.requests"), value: (i) => num(i.requests), num: true },
      { label: t("usage.input_tokens"), value: (i) => num(i.input_tokens), num: true },
      { label: t("usage.output_tokens"), value: (i) => num(i.output_tokens), num: true },
      { label: t("usage.cost"), value: (i) => money(i.cost), num: true },
    ], stats.items || [], { empty: t("usage.none"), caption: t("usage.statistics") }));
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (form.reportValidity()) draw();
  });
  draw();
  return [form, holder];
}

/** The inbound API a request used, as people call it (the API's own word when unknown). */
function endpointName(endpoint) {
  const names = {
    chat: t("usage.endpoint.chat"),
    responses: t("usage.endpoint.responses"),
    messages: t("usage.endpoint.messages"),
    completions: t("usage.endpoint.completions"),
    embeddings: t("usage.endpoint.embeddings"),
  };
  return names[endpoint] ?? endpoint ?? "—";
}

/** The HTTP status and, when the request did not simply succeed, why (outcome). */
function outcome(r) {
  const code = Number(r.status);
  const good = Number.isFinite(code) ? code < 400 : ["ok", "success"].includes(String(r.status));
  const why = r.outcome && !["ok", "settled", "success"].includes(r.outcome) ? ` · ${r.outcome}` : "";
  return badge(`${r.status ?? "—"}${why}`, good ? "ok" : "bad");
}
