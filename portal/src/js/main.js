// The shell and the hash router: which page, who may see it, the navigation, the language
// switch and logout. Pages are ES modules loaded on demand: export default render(main, ctx).
import { h, mount } from "./dom.js";
import { logout, onSessionExpired } from "./api.js";
import { fetchMe } from "./endpoints.js";
import { session } from "./session.js";
import { t, lang, LANGUAGES, setLanguage, applyLanguage, onLanguageChange } from "./i18n.js";
import { errorBox, loading, toast, button } from "./ui.js";
import { notificationBadge } from "./notify-badge.js";

const page = (name) => () => import(`./pages/${name}.js`);
const ROUTES = {
  "/login": { load: page("login"), access: "guest", title: "nav.login" },
  "/register": { load: page("register"), access: "guest", title: "nav.register" },
  "/dashboard": { load: page("dashboard"), access: "user", title: "nav.dashboard" },
  "/keys": { load: page("keys"), access: "user", title: "nav.keys" },
  "/providers": { load: page("providers"), access: "user", title: "nav.providers" },
  "/usage": { load: page("usage"), access: "user", title: "nav.usage" },
  "/balance": { load: page("balance"), access: "user", title: "nav.balance" },
  "/security": { load: page("security"), access: "user", title: "nav.security" },
  "/logs": { load: page("logs"), access: "user", title: "nav.logs" },
  "/notifications": { load: page("notifications"), access: "user", title: "nav.notifications" },
  "/admin/overview": { load: page("admin-overview"), access: "admin", title: "nav.admin_overview" },
  "/admin/quota-usage": { load: page("admin-quota-usage"), access: "admin", title: "quota_usage.title" },
  "/admin/users": { load: page("admin-users"), access: "admin", title: "nav.admin_users" },
  "/admin/providers": { load: page("admin-providers"), access: "admin", title: "nav.admin_providers" },
  "/admin/models": { load: page("admin-models"), access: "admin", title: "nav.admin_models" },
  "/admin/groups": { load: page("admin-groups"), access: "admin", title: "nav.admin_groups" },
  "/admin/quotas": { load: page("admin-quotas"), access: "admin", title: "nav.admin_quotas" },
  "/admin/plans": { load: page("admin-plans"), access: "admin", title: "nav.admin_plans" },
  "/admin/codes": { load: page("admin-codes"), access: "admin", title: "nav.admin_codes" },
};
const USER_NAV = ["/dashboard", "/keys", "/providers", "/usage", "/balance", "/notifications", "/security", "/logs"];
const ADMIN_NAV = ["/admin/overview", "/admin/users", "/admin/providers", "/admin/models", "/admin/groups", "/admin/quotas", "/admin/plans", "/admin/codes"];

const app = document.getElementById("app");
let afterLogin = "/dashboard";
let renderCount = 0;

let pendingNavigation = false;
export function navigate(path) {
  if (window.location.hash === `#${path}`) render();
  else {
    pendingNavigation = true; // the hashchange renders; until then the page is not ready
    window.location.hash = `#${path}`;
  }
}

function currentPath() {
  const raw = window.location.hash.replace(/^#/, "") || "/dashboard";
  const [path, query = ""] = raw.split("?");
  return { path, params: new URLSearchParams(query) };
}

function languageSwitch() {
  const select = h("select", { id: "lang-select", class: "lang-select", onchange: (ev) => setLanguage(ev.target.value) },
    LANGUAGES.map((l) => h("option", { value: l.code, text: l.label, selected: l.code === lang(), attrs: { lang: l.code } })));
  return h("div", { class: "lang" }, h("label", { attrs: { for: "lang-select" }, class: "visually-hidden", text: t("lang.label") }), select);
}

function brand() {
  return h("a", { class: "brand", href: "#/dashboard" }, h("img", { src: "favicon.svg", alt: "", width: 24, height: 24 }), h("span", { text: t("app.name") }));
}

function navLink(path, active) {
  return h("li", {}, h("a", { href: `#${path}`, class: path === active ? "active" : "", attrs: { "aria-current": path === active ? "page" : false }, text: t(ROUTES[path].title) }));
}

function appShell(active) {
  const main = h("main", { id: "main", class: "main", tabIndex: -1 });
  const nav = h("nav", { id: "nav", class: "sidebar", attrs: { "aria-label": t("a11y.main_nav") } },
    h("p", { class: "nav-heading", text: t("nav.section_account") }),
    h("ul", {}, USER_NAV.map((p) => navLink(p, active))),
    session.isAdmin ? [h("p", { class: "nav-heading", text: t("nav.section_admin") }), h("ul", {}, ADMIN_NAV.map((p) => navLink(p, active)))] : null);
  const menu = h("button", { type: "button", class: "btn btn-ghost menu-toggle", attrs: { "aria-expanded": "false", "aria-controls": "nav" }, text: t("nav.menu") });
  menu.addEventListener("click", () => {
    const open = menu.getAttribute("aria-expanded") !== "true";
    menu.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("open", open);
  });
  nav.addEventListener("click", (ev) => { if (ev.target.closest("a")) { nav.classList.remove("open"); menu.setAttribute("aria-expanded", "false"); } });
  const who = session.me ? h("span", { class: "who", text: session.me.username }) : null;
  const out = button(t("action.logout"), async (btn) => {
    btn.disabled = true;
    await logout();
    toast(t("auth.logged_out"), "success");
    navigate("/login");
  }, { kind: "ghost" });
  out.id = "logout";
  const header = h("header", { class: "topbar" }, menu, brand(), h("div", { class: "topbar-end" }, notificationBadge(), who, languageSwitch(), out));
  mount(app, h("div", { class: "shell" }, header, nav, main));
  app.className = "";
  return main;
}

function guestShell() {
  const main = h("main", { id: "main", class: "auth-main", tabIndex: -1 });
  const header = h("header", { class: "topbar topbar-guest" }, brand(), h("div", { class: "topbar-end" }, languageSwitch()));
  mount(app, h("div", { class: "guest" }, header, main, h("footer", { class: "guest-foot muted", text: t("app.tagline") })));
  app.className = "";
  return main;
}

async function ensureMe() {
  if (!session.me) session.me = await fetchMe();
  return session.me;
}

// #app[data-ready] tells tests (and anything else watching) that a page finished rendering.
async function render() {
  const ticket = ++renderCount;
  pendingNavigation = false;
  app.dataset.ready = "false";
  try {
    await renderRoute(ticket);
  } finally {
    if (ticket === renderCount && !pendingNavigation) app.dataset.ready = "true";
  }
}

async function renderRoute(ticket) {
  const { path, params } = currentPath();
  const route = ROUTES[path];
  if (!route) return navigate(session.hasSession ? "/dashboard" : "/login");
  applyLanguage();
  document.title = `${t(route.title)} · ${t("app.name")}`;

  if (route.access === "guest") {
    if (session.access && session.me) return navigate("/dashboard");
    const main = guestShell();
    return show(route, main, params, ticket);
  }
  if (!session.hasSession) {
    afterLogin = path;
    return navigate("/login");
  }
  let main = appShell(path);
  mount(main, loading());
  try {
    await ensureMe();
  } catch (err) {
    if (ticket !== renderCount || err.code === "session_expired") return;
    return mount(main, h("h1", { class: "page-title", tabIndex: -1, text: t(route.title) }), errorBox(err, () => render()));
  }
  if (ticket !== renderCount) return;
  main = appShell(path); // again, now that the role is known (admin links)
  if (route.access === "admin" && !session.isAdmin) {
    return mount(main, h("h1", { class: "page-title", text: t(route.title) }),
      errorBox({ code: "admin_only", message: t("err.admin_only"), status: 403 }));
  }
  return show(route, main, params, ticket);
}

async function show(route, main, params, ticket) {
  mount(main, loading());
  try {
    const mod = await route.load();
    if (ticket !== renderCount) return;
    mount(main);
    await mod.default(main, { params, navigate, me: session.me, afterLogin: () => afterLogin });
  } catch (err) {
    if (ticket !== renderCount || (err && err.code === "session_expired")) return;
    mount(main, errorBox(err.code ? err : { code: "page_error", message: String(err.message || err), status: -1 }, () => render()));
  }
  if (focusOnRender) {
    const heading = main.querySelector(".page-title");
    if (heading) heading.focus({ preventScroll: true });
  }
}

let focusOnRender = false;
onSessionExpired(() => {
  toast(t("error.session_expired"), "error");
  navigate("/login");
});
onLanguageChange(() => render());
window.addEventListener("hashchange", () => { focusOnRender = true; render(); });
render();
