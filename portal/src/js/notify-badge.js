// @ts-check
// The unread-notifications badge in the top bar: a link to #/notifications with the count,
// refreshed when a page is shown and when a notification is marked read.
import { h } from "./dom.js";
import { listNotifications } from "./endpoints.js";
import { t } from "./i18n.js";

/** @type {HTMLElement | null} */
let current = null;

/** The badge link; its count fills in when the list arrives (a failure leaves it empty). */
export function notificationBadge() {
  const count = h("span", { class: "badge badge-warn notify-count", attrs: { hidden: "" } });
  current = count;
  const link = h("a", { id: "notify-badge", class: "notify-link", href: "#/notifications", attrs: { "aria-label": t("nav.notifications") } },
    h("span", { class: "notify-label", text: t("nav.notifications") }), " ", count);
  refreshNotificationBadge();
  return link;
}

/** Reads the unread count again and shows it (hidden at 0). */
export async function refreshNotificationBadge() {
  const count = current;
  if (!count) return;
  try {
    const res = await listNotifications();
    const unread = (res && res.unread) || 0;
    count.textContent = String(unread);
    count.toggleAttribute("hidden", unread === 0);
    count.dataset.unread = String(unread);
  } catch {
    count.toggleAttribute("hidden", true);
  }
}
