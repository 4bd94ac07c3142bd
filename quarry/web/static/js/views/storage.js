// Connected storage: integrations (S3-compatible by form, Drive and Dropbox by OAuth), a
// folder browser, and a run started from the selected files or the whole folder.

import { all, del, get, post } from "../api.js";
import { clear, empty, errorBox, field, fmtBytes, fmtDateTime, h, loading, nextId, showError, statusBadge, toast } from "../dom.js";

export async function storageView(main) {
  const list = h("div", { class: "list-slot" }, loading());
  const errors = h("div", { class: "error-slot", "aria-live": "polite" });
  const name = h("input", { type: "text", required: true, maxlength: 200, testid: "s3-name" });
  const bucket = h("input", { type: "text", required: true, testid: "s3-bucket" });
  const region = h("input", { type: "text", value: "us-east-1", testid: "s3-region" });
  const endpoint = h("input", { type: "url", placeholder: "optional, for S3-compatible stores", testid: "s3-endpoint" });
  const prefix = h("input", { type: "text", placeholder: "optional, e.g. invoices/", testid: "s3-prefix" });
  const keyId = h("input", { type: "text", required: true, autocomplete: "off", testid: "s3-key-id" });
  const secret = h("input", { type: "password", required: true, autocomplete: "new-password", testid: "s3-secret" });

  async function load() {
    try {
      const items = await all("/api/integrations", 500);
      clear(list, items.length ? table(items) : empty("No connected storage", "Connect an S3 bucket, Google Drive or Dropbox to run documents straight from there."));
    } catch (error) {
      clear(list, errorBox(error));
    }
  }

  async function onCreate(event) {
    event.preventDefault();
    showError(errors, null);
    const config = { bucket: bucket.value.trim(), region: region.value.trim() || "us-east-1" };
    if (endpoint.value.trim()) config.endpointUrl = endpoint.value.trim();
    if (prefix.value.trim()) config.prefix = prefix.value.trim();
    try {
      const integration = await post("/api/integrations", { provider: "S3", name: name.value.trim(), config, credentials: { accessKeyId: keyId.value.trim(), secretAccessKey: secret.value } });
      event.target.reset();
      toast(integration.status === "ACTIVE" ? "Connected" : `Saved, but: ${integration.statusMessage}`, integration.status === "ACTIVE" ? "ok" : "error");
      await load();
    } catch (error) {
      showError(errors, error);
    }
  }

  async function oauth(provider, label) {
    showError(errors, null);
    try {
      const start = await get(`/api/integrations/oauth/${provider}/start?name=${encodeURIComponent(label)}`);
      location.assign(start.authorizationUrl);
    } catch (error) {
      showError(errors, error);
    }
  }

  async function remove(item) {
    if (!confirm(`Disconnect “${item.name}”? Documents already fetched stay.`)) return;
    try {
      await del(`/api/integrations/${item.id}`);
      await load();
    } catch (error) {
      showError(errors, error);
    }
  }

  function table(items) {
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data", testid: "integrations-table" },
        h("thead", {}, h("tr", {}, ["Name", "Provider", "Status", "Checked", ""].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          items.map((i) =>
            h(
              "tr",
              { testid: "integration-row" },
              h("td", {}, h("a", { href: `#/storage/${i.id}` }, i.name)),
              h("td", {}, i.provider),
              h("td", {}, statusBadge(i.status), i.statusMessage ? h("div", { class: "muted small" }, i.statusMessage) : null),
              h("td", {}, fmtDateTime(i.checkedAt)),
              h("td", { class: "right" }, h("a", { class: "button", href: `#/storage/${i.id}` }, "Browse"), " ", h("button", { type: "button", class: "danger", onclick: () => remove(i) }, "Disconnect")),
            ),
          ),
        ),
      ),
    );
  }

  main.append(
    h("h1", {}, "Connected storage"),
    h("p", { class: "muted" }, "Browse a bucket or drive and extract from files where they are. Credentials are stored encrypted and never shown again."),
    list,
    h("h2", {}, "Connect"),
    h(
      "div",
      { class: "row" },
      h("button", { type: "button", onclick: () => oauth("google-drive", "Google Drive") }, "Connect Google Drive"),
      h("button", { type: "button", onclick: () => oauth("dropbox", "Dropbox") }, "Connect Dropbox"),
    ),
    h(
      "form",
      { class: "card", onsubmit: onCreate },
      h("h3", {}, "S3 or S3-compatible bucket"),
      h("div", { class: "grid2" }, field("Name", name), field("Bucket", bucket), field("Region", region), field("Endpoint URL", endpoint), field("Prefix", prefix), field("Access key id", keyId), field("Secret access key", secret)),
      errors,
      h("button", { type: "submit", class: "primary", testid: "s3-create" }, "Connect bucket"),
    ),
  );
  await load();
}

export async function integrationView(main, integrationId, query) {
  main.append(loading());
  const [integration, schemas] = await Promise.all([get(`/api/integrations/${integrationId}`), all("/api/schema", 500)]);
  const folderId = query.get("folder") || "";
  clear(main);
  const errors = h("div", { class: "error-slot", "aria-live": "polite" });
  const listing = h("div", { class: "list-slot" }, loading());
  const schema = h("select", { testid: "storage-schema" }, schemas.map((s) => h("option", { value: s.id }, s.name)));
  const recursive = h("input", { type: "checkbox", id: nextId("r") });
  const selected = new Set();
  const count = h("span", { class: "muted small", "aria-live": "polite" });
  let cursor = null;
  let entries = [];

  async function loadPage(more) {
    try {
      const params = new URLSearchParams({ limit: "200" });
      if (folderId) params.set("folderId", folderId);
      if (more && cursor) params.set("cursor", cursor);
      const answer = await get(`/api/integrations/${integrationId}/files?${params}`);
      entries = more ? entries.concat(answer.data) : answer.data;
      cursor = answer.nextCursor;
      clear(listing, entries.length ? browser() : empty("This folder is empty", "Choose another folder."), cursor ? h("button", { type: "button", onclick: () => loadPage(true) }, "Load more") : null);
    } catch (error) {
      clear(listing, errorBox(error));
    }
  }

  function browser() {
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data browser", testid: "storage-files" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Select")), ["Name", "Size", "Modified"].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          entries.map((e) => {
            const id = nextId("sel");
            const box = e.isFolder
              ? null
              : h("input", { type: "checkbox", id, checked: selected.has(e.fileId), onchange: (ev) => { if (ev.target.checked) selected.add(e.fileId); else selected.delete(e.fileId); count.textContent = `${selected.size} selected`; } });
            return h(
              "tr",
              { testid: "storage-entry" },
              h("td", {}, box),
              h("td", {}, e.isFolder ? h("a", { href: `#/storage/${integrationId}?folder=${encodeURIComponent(e.fileId)}` }, "📁 ", e.name) : h("label", { for: id }, e.name)),
              h("td", { class: "num" }, e.isFolder || e.size === null ? "" : fmtBytes(e.size)),
              h("td", {}, e.modifiedAt ? fmtDateTime(e.modifiedAt) : ""),
            );
          }),
        ),
      ),
    );
  }

  async function start(whole) {
    showError(errors, null);
    const body = { integrationId, schemaId: schema.value, jobType: "EXTRACTION" };
    if (whole) Object.assign(body, { folderId: folderId || (integration.provider === "GOOGLE_DRIVE" ? "root" : ""), recursive: recursive.checked });
    else body.fileIds = [...selected];
    if (!whole && !body.fileIds.length) {
      showError(errors, new Error("Select at least one file."));
      return;
    }
    try {
      const answer = await post("/api/job-runs/from-sources", body);
      location.hash = `#/runs/${answer.jobRunId}`;
    } catch (error) {
      showError(errors, error);
    }
  }

  main.append(
    h("nav", { class: "crumbs" }, h("a", { href: "#/storage" }, "Storage"), " / ", h("a", { href: `#/storage/${integrationId}` }, integration.name), folderId ? ` / ${folderId}` : ""),
    h("div", { class: "page-head" }, h("h1", {}, integration.name), statusBadge(integration.status)),
    schemas.length
      ? h(
          "div",
          { class: "card row" },
          field("Schema", schema),
          h("span", { class: "check field-button" }, recursive, h("label", { for: recursive.id }, "Include sub-folders")),
          h("button", { type: "button", class: "primary field-button", testid: "storage-run-selected", onclick: () => start(false) }, "Run selected files"),
          h("button", { type: "button", class: "field-button", testid: "storage-run-folder", onclick: () => start(true) }, "Run the whole folder"),
          count,
        )
      : h("div", { class: "notice info" }, "Create a schema first to start a run.", " ", h("a", { href: "#/schemas/new" }, "New schema")),
    errors,
    listing,
  );
  await loadPage(false);
}
