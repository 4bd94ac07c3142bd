// The app shell: hash routes, the navigation bar, signing out, one view at a time.

import { get, post, session } from "./api.js";
import { clear, errorBox, h } from "./dom.js";
import { authView } from "./views/auth.js";
import { keysView } from "./views/keys.js";
import { newRunView } from "./views/new_run.js";
import { reviewView } from "./views/review.js";
import { runView } from "./views/run.js";
import { runsView } from "./views/runs.js";
import { schemaEditorView } from "./views/schema_editor.js";
import { schemasView, suggestView, versionsView } from "./views/schemas.js";
import { storageView, integrationView } from "./views/storage.js";
import { webhookView, webhooksView } from "./views/webhooks.js";

const ROUTES = [
  [/^login$/, (m) => authView(m, "login"), { public: true }],
  [/^register$/, (m) => authView(m, "register"), { public: true }],
  [/^runs$/, runsView, { nav: "runs" }],
  [/^runs\/new$/, newRunView, { nav: "runs" }],
  [/^runs\/([\w-]+)$/, runView, { nav: "runs" }],
  [/^jobs\/([\w-]+)$/, reviewView, { nav: "runs" }],
  [/^schemas$/, schemasView, { nav: "schemas" }],
  [/^schemas\/new$/, (m) => schemaEditorView(m, null), { nav: "schemas" }],
  [/^schemas\/suggest$/, suggestView, { nav: "schemas" }],
  [/^schemas\/([\w-]+)\/versions$/, versionsView, { nav: "schemas" }],
  [/^schemas\/([\w-]+)$/, schemaEditorView, { nav: "schemas" }],
  [/^storage$/, storageView, { nav: "storage" }],
  [/^storage\/([\w-]+)$/, integrationView, { nav: "storage" }],
  [/^webhooks$/, webhooksView, { nav: "webhooks" }],
  [/^webhooks\/([\w-]+)$/, webhookView, { nav: "webhooks" }],
  [/^keys$/, keysView, { nav: "keys" }],
];

const NAV = [
  ["runs", "Runs", "#/runs", "nav-runs"],
  ["schemas", "Schemas", "#/schemas", "nav-schemas"],
  ["storage", "Storage", "#/storage", "nav-storage"],
  ["webhooks", "Webhooks", "#/webhooks", "nav-webhooks"],
  ["keys", "API keys", "#/keys", "nav-keys"],
];

let cleanup = null;

function parseHash() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = hash.split("?");
  return { path, query: new URLSearchParams(query) };
}

function header(active) {
  const who = session.get();
  return h(
    "header",
    { class: "topbar" },
    h("a", { class: "brand", href: "#/runs" }, h("span", { class: "logo", "aria-hidden": "true" }), "Quarry"),
    h(
      "nav",
      { "aria-label": "Main" },
      NAV.map(([key, label, href, testid]) =>
        h("a", { href, testid, class: key === active ? "active" : null, "aria-current": key === active ? "page" : null }, label),
      ),
      h("a", { href: "/api/docs", class: "docs" }, "API docs"),
    ),
    h(
      "div",
      { class: "who" },
      h("span", { class: "email", title: who && who.user ? who.user.email : "" }, who && who.user ? who.user.name : ""),
      h("button", { type: "button", class: "ghost", testid: "sign-out", onclick: signOut }, "Sign out"),
    ),
  );
}

async function signOut() {
  const current = session.get();
  if (current && current.refreshToken) {
    try {
      await post("/api/auth/logout", { refreshToken: current.refreshToken });
    } catch {
      /* signed out locally either way */
    }
  }
  session.clear();
  location.hash = "#/login";
}

async function render() {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  const { path, query } = parseHash();
  const route = ROUTES.find(([pattern]) => pattern.test(path));
  const app = document.getElementById("app");
  if (!route) {
    location.replace(session.get() ? "#/runs" : "#/login");
    return;
  }
  const [pattern, view, options] = route;
  if (!options.public && !session.get()) {
    location.replace("#/login");
    return;
  }
  const main = h("main", { id: "main", tabindex: "-1" });
  clear(app, options.public ? null : header(options.nav), main);
  const params = path.match(pattern).slice(1);
  try {
    const result = await view(main, ...params, query);
    if (typeof result === "function") cleanup = result;
  } catch (error) {
    clear(main, errorBox(error));
  }
  const heading = main.querySelector("h1");
  if (heading && !main.contains(document.activeElement)) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

window.addEventListener("hashchange", render);
window.addEventListener("quarry:signed-out", () => {
  location.hash = "#/login";
});

async function start() {
  if (session.get()) {
    try {
      const user = await get("/api/auth/me");
      session.set({ ...session.get(), user });
    } catch {
      /* an expired session ends on the login screen */
    }
  }
  render();
}

start();

document.getElementById("skip").addEventListener("click", (event) => {
  event.preventDefault();
  const main = document.getElementById("main");
  if (main) main.focus();
});
