// The router and the page shell: hash routes (#/...), the nav, the connection banner and the
// tab title with the unread count. Emailed links land here as #/verify/, #/reset/, #/invite/.

import {
  api, currentUser, loadSession, onUserChange, sessionLanguage, sessionLanguages,
} from "./api.js";
import { h, mount } from "./dom.js";
import {
  chooseLanguage, currentLanguage, languages, onLanguageChange, startLanguage, t,
} from "./i18n.js";
import { switchLanguage } from "./language.js";
import { connection } from "./socket.js";
import * as auth from "./views/auth.js";
import * as invite from "./views/invite.js";
import * as survey from "./views/survey.js";
import * as cases from "./views/cases.js";
import * as casePage from "./views/case.js";
import * as mediator from "./views/mediator.js";
import * as admin from "./views/admin.js";
import * as reader from "./views/reader.js";
import * as pages from "./views/pages.js";

// [pattern, view, needs login]
const ROUTES = [
  [/^\/?$/, pages.home, false],
  [/^\/login$/, auth.login, false],
  [/^\/register$/, auth.register, false],
  [/^\/verify\/([A-Za-z0-9_-]+)$/, auth.verify, false],
  [/^\/forgot$/, auth.forgot, false],
  [/^\/reset\/([A-Za-z0-9_-]+)$/, auth.reset, false],
  [/^\/invite\/([A-Za-z0-9_-]+)$/, invite.landing, false],
  [/^\/invitations\/(\d+)$/, invite.mine, true],
  [/^\/survey\/([A-Za-z0-9_-]+)$/, survey.page, false],
  [/^\/about$/, pages.about, false],
  [/^\/glossary$/, pages.glossary, false],
  [/^\/prepare$/, pages.prepare, false],
  [/^\/account$/, auth.account, true],
  [/^\/cases$/, cases.list, true],
  [/^\/cases\/new$/, cases.create, true],
  [/^\/cases?\/(\d+)(?:\/(case|conversations|agreement))?(?:\/(\d+))?$/, casePage.page, true],
  [/^\/mediator(?:\/(\d+))?$/, mediator.dashboard, true],
  [/^\/admin(?:\/(queue|filing|flags|audit|cases|notify|figures|staff|mediators))?$/, admin.page, true],
  [/^\/admin\/read\/(\d+)(?:\/(\d+))?$/, reader.page, true],
];

let cleanup = null;
let pageTitle = "";
const main = document.getElementById("main");

/** Go to a hash route. */
export function navigate(path) {
  if (location.hash === `#${path}`) route();
  else location.hash = path;
}

/** Set the page's name in the tab title (the unread count is added in front). */
export function setTitle(title) {
  pageTitle = title ? t("app.pageTitle", { page: title }) : t("app.name");
  updateTitle();
}

function updateTitle() {
  const n = connection.totalUnread();
  document.title = n > 0 ? `(${n}) ${pageTitle}` : pageTitle;
}

/** Announce a short text to screen readers. */
export function announce(text) {
  const el = document.getElementById("announcer");
  el.textContent = "";
  // A separate task so that the same text twice is announced twice.
  setTimeout(() => { el.textContent = text; }, 50);
}

// Each call of route() draws into its own box. A view still waiting on the network when the
// reader has already moved on (a click right after logging in or switching language) then
// draws into a box that is no longer on the page, never over the newer view.
let routeGen = 0;

async function route() {
  const gen = ++routeGen;
  const hash = location.hash || "#/";
  if (!hash.startsWith("#/") && hash !== "#") return; // in-page anchors such as #main
  const path = hash.slice(1) || "/";
  if (cleanup) {
    try { cleanup(); } catch (e) { console.error(e); }
    cleanup = null;
  }
  const user = currentUser();
  for (const [pattern, view, needsLogin] of ROUTES) {
    const m = path.match(pattern);
    if (!m) continue;
    if (needsLogin && !user) {
      sessionStorage.setItem("odr-next", path);
      navigate("/login");
      return;
    }
    setTitle("");
    renderNav(path);
    const page = h("div", { class: "page" });
    mount(main, page);
    const current = () => gen === routeGen;
    const ctx = { navigate, announce, connection, setTitle: (text) => current() && setTitle(text) };
    let stop = null;
    try {
      stop = (await view(page, m.slice(1), ctx)) || null;
    } catch (err) {
      console.error(err);
      mount(page, h("h1", { text: t("app.error.title") }),
        h("p", { text: err.message || String(err) }),
        h("p", {}, h("a", { href: "#/", text: t("app.error.start") })));
    }
    if (!current()) {
      if (stop) {
        try { stop(); } catch (e) { console.error(e); }
      }
      return;
    }
    cleanup = stop;
    if (document.activeElement === document.body || !main.contains(document.activeElement)) {
      const heading = main.querySelector("h1");
      if (heading) {
        heading.tabIndex = -1;
        heading.focus({ preventScroll: true });
      }
    }
    return;
  }
  renderNav(path);
  mount(main, h("h1", { text: t("app.notFound.title") }),
    h("p", {}, h("a", { href: "#/", text: t("app.notFound.start") })));
}

function renderNav(path) {
  const nav = document.getElementById("nav");
  const user = currentUser();
  const link = (href, text) => h("a", {
    href: `#${href}`, text, attrs: { "aria-current": path.startsWith(href) ? "page" : null },
  });
  if (!user) {
    mount(nav, link("/login", t("nav.login")), link("/register", t("nav.register")));
    return;
  }
  const items = [link("/cases", t("nav.cases"))];
  if (user.staff_role === "mediator") items.push(link("/mediator", t("nav.dashboard")));
  if (user.staff_role === "admin") items.push(link("/admin", t("nav.admin")));
  items.push(link("/account", t("nav.account")));
  items.push(h("button", { type: "button", class: "link", text: t("nav.logout"), on: { click: logout } }));
  mount(nav, ...items);
}

async function logout() {
  try {
    await api.post("/api/auth/logout");
  } catch {
    // Already logged out on the server: the result is the same.
  }
  connection.stop();
  await loadSession();
  navigate("/login");
}

function renderConn({ status, retryAt }) {
  const el = document.getElementById("conn");
  const texts = {
    connecting: t("conn.connecting"),
    reconnecting: t("conn.reconnecting"),
    offline: t("conn.offline"),
    too_many: t("conn.tooMany"),
    signed_out: t("conn.signedOut"),
  };
  el.dataset.state = status;
  el.hidden = status === "online" || status === "idle" || status === "connecting";
  el.textContent = texts[status] || "";
  if (status === "reconnecting" && retryAt) {
    el.appendChild(h("button", { type: "button", class: "link", text: t("conn.tryNow"),
      on: { click: () => connection.reconnectNow() } }));
  }
}

// The text of index.html's shell and the language switcher, in the language in use.
function renderShell() {
  document.querySelector(".skip-link").textContent = t("app.skip");
  document.querySelector(".brand").textContent = t("app.name");
  document.getElementById("nav").setAttribute("aria-label", t("nav.label"));
  renderSwitcher(document.getElementById("lang"));
}

/** The language switcher: in the header of every page, before and after login. */
function renderSwitcher(box) {
  const id = "lang-select";
  const select = h("select", { id },
    Object.entries(languages()).map(([code, name]) => h("option", {
      value: code, text: name, attrs: { lang: code },
    })));
  select.value = currentLanguage();
  select.addEventListener("change", () => switchLanguage(select.value));
  mount(box, h("label", { htmlFor: id, text: t("nav.language") }), select);
}

function startConnection(user) {
  if (user) {
    if (connection.stopped || connection.userId !== user.id) {
      if (!connection.stopped) connection.stop();
      connection.start(user.id);
    }
  } else if (!connection.stopped) {
    connection.stop();
  }
}

// The on-screen keyboard shrinks the visual viewport; the chat column follows it.
function trackViewport() {
  const vv = window.visualViewport;
  if (!vv) return;
  const set = () => document.documentElement.style.setProperty("--vvh", `${vv.height}px`);
  vv.addEventListener("resize", set);
  set();
}

async function boot() {
  trackViewport();
  connection.addEventListener("status", (ev) => {
    renderConn(ev.detail);
    if (ev.detail.status === "signed_out") {
      loadSession().finally(() => navigate("/login"));
    }
  });
  connection.addEventListener("room", updateTitle);
  connection.addEventListener("rooms", updateTitle);
  let reached = true;
  try {
    await loadSession();
  } catch (err) {
    reached = false;
  }
  await startLanguage(sessionLanguages(), sessionLanguage());
  renderShell();
  if (!reached) {
    mount(main, h("h1", { text: t("app.unreachable.title") }),
      h("p", { text: t("app.unreachable.text") }));
    return;
  }
  onLanguageChange(() => {
    renderShell();
    route();
  });
  onUserChange((user) => {
    startConnection(user);
    // A person who logs in reads the pages in their account's language.
    if (user?.language && user.language !== currentLanguage()) chooseLanguage(user.language);
  });
  startConnection(currentUser());
  window.addEventListener("hashchange", route);
  await route();
}

boot();
