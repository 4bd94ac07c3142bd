// API keys: create (the key is shown once), list, revoke.

import { all, del, post } from "../api.js";
import { clear, empty, errorBox, field, fmtDateTime, h, loading, secretBox, showError, toast } from "../dom.js";

export async function keysView(main) {
  const name = h("input", { type: "text", required: true, maxlength: 100, placeholder: "e.g. n8n production", testid: "key-name" });
  const role = h("select", { testid: "key-role" }, h("option", { value: "" }, "Same as mine"), h("option", { value: "USER" }, "USER"), h("option", { value: "ADMIN" }, "ADMIN"));
  const expires = h("input", { type: "date", testid: "key-expires" });
  const errors = h("div", { class: "error-slot", "aria-live": "polite" });
  const created = h("div", { class: "secret-slot" });
  const list = h("div", { class: "list-slot" }, loading());

  async function load() {
    try {
      const keys = await all("/api/auth/api-keys", 500);
      clear(list, keys.length ? table(keys) : empty("No API keys", "Create a key to call the API from scripts, n8n or curl."));
    } catch (error) {
      clear(list, errorBox(error));
    }
  }

  async function onCreate(event) {
    event.preventDefault();
    showError(errors, null);
    const body = { name: name.value.trim() };
    if (role.value) body.role = role.value;
    if (expires.value) body.expiresAt = new Date(`${expires.value}T23:59:59`).toISOString();
    try {
      const key = await post("/api/auth/api-keys", body);
      clear(created, secretBox(`Key “${key.name}” created`, key.apiKey, "Copy it now: it is shown only once. Send it as Authorization: Bearer <key>."));
      name.value = "";
      await load();
    } catch (error) {
      showError(errors, error);
    }
  }

  async function revoke(key) {
    if (!confirm(`Revoke the key “${key.name}”? Anything using it stops working at once.`)) return;
    try {
      await del(`/api/auth/api-keys/${key.id}`);
      toast("Key revoked");
      await load();
    } catch (error) {
      showError(errors, error);
    }
  }

  function table(keys) {
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data", testid: "keys-table" },
        h("thead", {}, h("tr", {}, ["Name", "Key", "Role", "Created", "Last used", "Expires", ""].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          keys.map((k) =>
            h(
              "tr",
              { testid: "key-row" },
              h("td", {}, k.name),
              h("td", { class: "mono" }, `${k.prefix}…`),
              h("td", {}, k.role),
              h("td", {}, fmtDateTime(k.createdAt)),
              h("td", {}, k.lastUsedAt ? fmtDateTime(k.lastUsedAt) : "never"),
              h("td", {}, k.expiresAt ? fmtDateTime(k.expiresAt) : "never"),
              h("td", { class: "right" }, h("button", { type: "button", class: "danger", testid: "key-revoke", onclick: () => revoke(k) }, "Revoke")),
            ),
          ),
        ),
      ),
    );
  }

  main.append(
    h("h1", {}, "API keys"),
    h("p", { class: "muted" }, "Keys act for you in scripts and integrations, with your role or a lower one."),
    h("form", { class: "card", onsubmit: onCreate }, h("div", { class: "row" }, field("Name", name), field("Role", role), field("Expires (optional)", expires), h("button", { type: "submit", class: "primary field-button", testid: "key-create" }, "Create key")), errors),
    created,
    list,
  );
  await load();
}
