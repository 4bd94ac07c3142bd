// Webhooks: endpoints (create — the signing secret is shown once —, enable/disable, rotate,
// ping, delete) and each endpoint's deliveries log with redeliver.

import { all, del, get, patch, post } from "../api.js";
import { clear, empty, errorBox, field, fmtDateTime, h, loading, nextId, secretBox, showError, statusBadge, toast } from "../dom.js";

export async function webhooksView(main) {
  main.append(loading());
  const catalog = (await get("/api/webhooks/event-catalog")).data;
  clear(main);
  const url = h("input", { type: "url", required: true, placeholder: "https://example.com/hooks/quarry", testid: "webhook-url" });
  const description = h("input", { type: "text", maxlength: 2000, testid: "webhook-description" });
  const mode = h("select", { testid: "webhook-mode" }, h("option", { value: "AUTOMATIC" }, "Automatic (events below)"), h("option", { value: "MANUAL" }, "Manual (ping and send only)"));
  const format = h("select", { testid: "webhook-format" }, ["JSON", "XML", "FORM"].map((f) => h("option", { value: f }, f)));
  const boxes = catalog.map((e) => {
    const id = nextId("ev");
    const box = h("input", { type: "checkbox", id, value: e.type, checked: ["job.completed", "job.failed", "job_run.completed", "job_run.failed"].includes(e.type) });
    return [box, h("span", { class: "check", title: e.description }, box, h("label", { for: id }, e.type))];
  });
  const errors = h("div", { class: "error-slot", "aria-live": "polite" });
  const created = h("div");
  const list = h("div", { class: "list-slot" }, loading());

  async function load() {
    try {
      const endpoints = await all("/api/webhooks", 500);
      clear(list, endpoints.length ? table(endpoints) : empty("No endpoints", "Add a URL and Quarry will POST signed events to it as jobs and runs change."));
    } catch (error) {
      clear(list, errorBox(error));
    }
  }

  async function onCreate(event) {
    event.preventDefault();
    showError(errors, null);
    try {
      const endpoint = await post("/api/webhooks", {
        url: url.value.trim(),
        description: description.value.trim() || null,
        deliveryMode: mode.value,
        bodyFormat: format.value,
        events: boxes.filter(([b]) => b.checked).map(([b]) => b.value),
        enabled: true,
      });
      clear(created, secretBox("Endpoint created — its signing secret", endpoint.signingSecret, "Copy it now: it is shown only once (rotate it to get a new one). Verify each delivery's signature with it."));
      url.value = "";
      description.value = "";
      await load();
    } catch (error) {
      showError(errors, error);
    }
  }

  function table(endpoints) {
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data", testid: "webhooks-table" },
        h("thead", {}, h("tr", {}, ["URL", "Mode", "Events", "Format", "State", "Created"].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          endpoints.map((e) =>
            h(
              "tr",
              { testid: "webhook-row" },
              h("td", { class: "cell" }, h("a", { href: `#/webhooks/${e.id}` }, e.url), e.description ? h("div", { class: "muted small" }, e.description) : null),
              h("td", {}, e.deliveryMode),
              h("td", { class: "small" }, e.deliveryMode === "MANUAL" ? "—" : e.events.join(", ") || "none"),
              h("td", {}, e.bodyFormat),
              h("td", {}, statusBadge(e.enabled ? "ACTIVE" : "DISABLED")),
              h("td", {}, fmtDateTime(e.createdAt)),
            ),
          ),
        ),
      ),
    );
  }

  main.append(
    h("h1", {}, "Webhooks"),
    h("p", { class: "muted" }, "Endpoints receive signed events (Standard Webhooks and X-Webhook-Signature), retried for about a day."),
    h(
      "form",
      { class: "card", onsubmit: onCreate },
      h("div", { class: "grid2" }, field("Endpoint URL", url), field("Description", description)),
      h("div", { class: "row" }, field("Delivery", mode), field("Body format", format)),
      h("fieldset", { class: "events" }, h("legend", {}, "Events"), boxes.map(([, label]) => label)),
      errors,
      h("button", { type: "submit", class: "primary", testid: "webhook-create" }, "Add endpoint"),
    ),
    created,
    list,
  );
  await load();
}

export async function webhookView(main, endpointId) {
  main.append(loading());
  let endpoint = await get(`/api/webhooks/${endpointId}`);
  clear(main);
  const head = h("div");
  const errors = h("div", { class: "error-slot", "aria-live": "polite" });
  const secret = h("div");
  const status = h("select", { testid: "delivery-status-filter" }, h("option", { value: "" }, "All"), ["PENDING", "SUCCEEDED", "RETRYING", "DEAD"].map((s) => h("option", { value: s }, s)));
  const deliveries = h("div", { class: "list-slot" }, loading());

  function paintHead() {
    clear(
      head,
      h(
        "div",
        { class: "page-head" },
        h("h1", { class: "cell" }, endpoint.url),
        h(
          "div",
          { class: "actions" },
          statusBadge(endpoint.enabled ? "ACTIVE" : "DISABLED"),
          h("button", { type: "button", testid: "webhook-toggle", onclick: toggle }, endpoint.enabled ? "Disable" : "Enable"),
          h("button", { type: "button", testid: "webhook-ping", onclick: ping, disabled: !endpoint.enabled }, "Send a ping"),
          h("button", { type: "button", testid: "webhook-rotate", onclick: rotate }, "Rotate secret"),
          h("button", { type: "button", class: "danger", testid: "webhook-delete", onclick: remove }, "Delete"),
        ),
      ),
      h(
        "div",
        { class: "meta" },
        h("span", {}, endpoint.deliveryMode),
        h("span", {}, endpoint.bodyFormat),
        h("span", {}, endpoint.deliveryMode === "MANUAL" ? "ping and send only" : `events: ${endpoint.events.join(", ") || "none"}`),
        h("span", {}, `consecutive failures: ${endpoint.consecutiveFailures}`),
      ),
      endpoint.disabledReason ? h("div", { class: endpoint.disabledReason.includes("owner") ? "notice info" : "notice error" }, `Disabled ${fmtDateTime(endpoint.disabledAt)}: ${endpoint.disabledReason}`) : null,
    );
  }

  async function act(fn, message) {
    showError(errors, null);
    try {
      await fn();
      if (message) toast(message);
      paintHead();
      await loadDeliveries();
    } catch (error) {
      showError(errors, error);
    }
  }
  const toggle = () => act(async () => (endpoint = await patch(`/api/webhooks/${endpointId}`, { enabled: !endpoint.enabled })), "Saved");
  const ping = () => act(() => post(`/api/webhooks/${endpointId}/ping`), "Ping queued");
  const rotate = () =>
    act(async () => {
      if (!confirm("Rotate the signing secret? The old one keeps signing alongside for a grace period.")) return;
      endpoint = await post(`/api/webhooks/${endpointId}/rotate-secret`);
      clear(secret, secretBox("New signing secret", endpoint.signingSecret, "Copy it now: it is shown only once."));
    });
  async function remove() {
    if (!confirm("Delete this endpoint? It gets no further deliveries.")) return;
    try {
      await del(`/api/webhooks/${endpointId}`);
      toast("Endpoint deleted");
      location.hash = "#/webhooks";
    } catch (error) {
      showError(errors, error);
    }
  }

  async function loadDeliveries() {
    try {
      const filter = status.value ? `?status=${status.value}` : "";
      const answer = await get(`/api/webhooks/${endpointId}/deliveries${filter}${filter ? "&" : "?"}limit=100`);
      clear(deliveries, answer.data.length ? deliveryTable(answer.data) : empty("No deliveries", "Deliveries appear here as events happen, or send a ping."));
    } catch (error) {
      clear(deliveries, errorBox(error));
    }
  }

  function deliveryTable(rows) {
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data", testid: "deliveries-table" },
        h("thead", {}, h("tr", {}, ["Event", "Status", "Attempts", "Last answer", "Created", "Delivered", ""].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          rows.map((d) =>
            h(
              "tr",
              { testid: "delivery-row" },
              h("td", {}, d.eventType, h("div", { class: "muted small mono" }, d.id)),
              h("td", {}, statusBadge(d.status)),
              h("td", { class: "num" }, d.attempts),
              h("td", { class: "small cell", title: d.lastError || "" }, d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : "", d.lastError ? h("div", { class: "muted" }, d.lastError) : null),
              h("td", {}, fmtDateTime(d.createdAt)),
              h("td", {}, d.deliveredAt ? fmtDateTime(d.deliveredAt) : d.nextAttemptAt ? `next ${fmtDateTime(d.nextAttemptAt)}` : "—"),
              h("td", { class: "right" }, h("button", { type: "button", testid: "redeliver", onclick: () => act(() => post(`/api/webhooks/${endpointId}/deliveries/${d.id}/redeliver`), "Redelivery queued") }, "Redeliver")),
            ),
          ),
        ),
      ),
    );
  }

  status.addEventListener("change", loadDeliveries);
  main.append(
    h("nav", { class: "crumbs" }, h("a", { href: "#/webhooks" }, "Webhooks")),
    head,
    errors,
    secret,
    h("h2", {}, "Deliveries"),
    h("div", { class: "toolbar" }, field("Status", status), h("button", { type: "button", class: "field-button", onclick: loadDeliveries }, "Refresh")),
    deliveries,
  );
  paintHead();
  await loadDeliveries();
}
