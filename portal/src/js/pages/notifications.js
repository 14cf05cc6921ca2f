// Notifications: quota warnings, low balance and membership notices; mark them read; set the
// low-balance threshold.
import { h, mount } from "../dom.js";
import { fetchNotificationSettings, listNotifications, markNotificationRead, saveNotificationSettings } from "../endpoints.js";
import { t, has } from "../i18n.js";
import { dateTime, money } from "../format.js";
import { asyncBlock, badge, busy, button, card, emptyState, form, pageHeader, toast } from "../ui.js";
import { refreshNotificationBadge } from "../notify-badge.js";

export default function render(main) {
  const list = h("div", { id: "notification-list" });
  const settings = h("div");
  const reload = () => asyncBlock(list, listNotifications, (res) => {
    const items = (res && res.items) || [];
    if (!items.length) return emptyState(t("notifications.none"));
    return h("ul", { class: "notifications" }, items.map((n) => item(n, reload)));
  });
  mount(main, pageHeader(t("nav.notifications"), t("notifications.subtitle")), card(null, list),
    card(t("notifications.low_balance_title"), settings));
  reload();
  asyncBlock(settings, fetchNotificationSettings, (s) => {
    const f = form([{ name: "low_balance_threshold", label: t("notifications.low_balance_threshold"), value: s.low_balance_threshold || "",
      inputmode: "decimal", pattern: "[0-9]+(\\.[0-9]{1,6})?", placeholder: "5.00", hint: t("notifications.low_balance_hint") }],
    t("action.save"), async ({ low_balance_threshold: v }) => {
      const res = await saveNotificationSettings({ low_balance_threshold: v ? String(v) : null });
      toast(res.low_balance_threshold ? t("notifications.threshold_saved", { amount: money(res.low_balance_threshold) }) : t("notifications.threshold_off"), "success");
    });
    f.id = "low-balance-form";
    return f;
  });
}

function item(n, reload) {
  const kind = has(`notification.${n.kind}`) ? t(`notification.${n.kind}`) : n.kind;
  const read = n.read ? null : button(t("notifications.mark_read"), (btn) => busy(btn, async () => {
    await markNotificationRead(n.notification_id);
    refreshNotificationBadge();
    reload();
  }), { kind: "ghost" });
  return h("li", { class: ["notification", n.read ? "read" : "unread"], dataset: { kind: n.kind, id: n.notification_id } },
    h("p", {}, badge(kind, n.read ? "neutral" : "warn"), " ", h("span", { class: "muted small", text: dateTime(n.created_at) })),
    h("p", { text: n.message }), read);
}
