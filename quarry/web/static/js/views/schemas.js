// Schemas: the list, version history, and "suggest a schema from a sample document".

import { ApiError, all, get, upload } from "../api.js";
import { clear, empty, errorBox, field, fmtDateTime, h, loading, showError } from "../dom.js";

export async function schemasView(main) {
  const search = h("input", { type: "search", placeholder: "Search by name", testid: "schema-search" });
  const list = h("div", { class: "list-slot" }, loading());
  main.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Schemas"),
      h(
        "div",
        { class: "actions" },
        h("a", { class: "button", href: "#/schemas/suggest", testid: "schema-suggest" }, "Suggest from a sample"),
        h("a", { class: "button primary", href: "#/schemas/new", testid: "schema-new" }, "New schema"),
      ),
    ),
    h("p", { class: "muted" }, "A schema names the fields to extract from each document."),
    h("div", { class: "toolbar" }, field("Search", search)),
    list,
  );
  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  });
  async function load() {
    const q = search.value.trim();
    try {
      const schemas = await all(`/api/schema${q ? `?search=${encodeURIComponent(q)}` : ""}`, 500);
      clear(list, schemas.length ? table(schemas) : emptyState(q));
    } catch (error) {
      clear(list, errorBox(error));
    }
  }
  await load();
}

function emptyState(q) {
  return q
    ? empty("No schema matches", `Nothing is named like “${q}”.`)
    : empty(
        "No schemas yet",
        "Create one field by field, or let Quarry suggest one from a sample document.",
        h("a", { class: "button primary", href: "#/schemas/new" }, "Create a schema"),
      );
}

function table(schemas) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data", testid: "schemas-table" },
      h("thead", {}, h("tr", {}, ["Name", "Fields", "Version", "Updated", ""].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        schemas.map((s) =>
          h(
            "tr",
            { testid: "schema-row" },
            h("td", {}, h("a", { href: `#/schemas/${s.id}` }, s.name), s.description ? h("div", { class: "muted small" }, s.description) : null),
            h("td", { class: "num" }, s.fields.length),
            h("td", { class: "num" }, `v${s.version}`),
            h("td", {}, fmtDateTime(s.updatedAt)),
            h("td", { class: "right" }, h("a", { href: `#/schemas/${s.id}/versions` }, "History"), " · ", h("a", { href: `#/runs/new?schema=${s.id}` }, "Run")),
          ),
        ),
      ),
    ),
  );
}

export async function versionsView(main, schemaId) {
  main.append(loading());
  const [schema, versions] = await Promise.all([
    get(`/api/schema/${schemaId}`),
    all(`/api/schema/${schemaId}/versions`, 500),
  ]);
  const detail = h("div", { class: "version-detail" });
  async function show(version) {
    main.querySelectorAll(".versions li").forEach((li) => li.classList.toggle("current", li.dataset.version === String(version)));
    clear(detail, loading());
    try {
      const v = await get(`/api/schema/${schemaId}/versions/${version}`);
      clear(detail, h("h2", {}, `Version ${v.version}`), h("pre", { class: "json", tabindex: "0" }, JSON.stringify(v.fields, null, 2)));
    } catch (error) {
      clear(detail, errorBox(error));
    }
  }
  clear(
    main,
    h("nav", { class: "crumbs" }, h("a", { href: "#/schemas" }, "Schemas"), " / ", h("a", { href: `#/schemas/${schemaId}` }, schema.name)),
    h("h1", {}, `History of ${schema.name}`),
    h("p", { class: "muted" }, "A change of fields makes a new version; every job keeps the version it started with."),
    h(
      "div",
      { class: "split" },
      h(
        "ol",
        { class: "versions", testid: "schema-versions" },
        versions
          .slice()
          .sort((a, b) => b.version - a.version)
          .map((v) =>
            h(
              "li",
              { "data-version": v.version },
              h(
                "button",
                { type: "button", class: "link", onclick: () => show(v.version) },
                h("strong", {}, `v${v.version}`),
                " ",
                h("span", { class: "muted" }, `${v.fields.length} fields · ${fmtDateTime(v.createdAt)}`),
              ),
            ),
          ),
      ),
      detail,
    ),
  );
  await show(schema.version);
}

export function suggestView(main) {
  const name = h("input", { type: "text", required: true, maxlength: 200, testid: "suggest-name" });
  const file = h("input", { type: "file", accept: ".pdf,.png,.jpg,.jpeg,.tif,.tiff,.webp,.docx,.xlsx,.csv,.html,.txt,.eml", testid: "suggest-file" });
  const prompt = h("textarea", { rows: 4, maxlength: 4000, placeholder: "e.g. invoice number, date, total and line items with description and amount", testid: "suggest-prompt" });
  const errors = h("div", { class: "error-slot", "aria-live": "polite" });
  const status = h("p", { class: "muted", role: "status" });
  const submit = h("button", { type: "submit", class: "primary", testid: "suggest-submit" }, "Suggest a schema");

  async function onSubmit(event) {
    event.preventDefault();
    showError(errors, null);
    const hasFile = file.files.length > 0;
    const hasPrompt = prompt.value.trim().length > 0;
    if (!hasFile && !hasPrompt) {
      showError(errors, new ApiError(400, { message: "Choose a sample document, describe the fields, or both." }));
      return;
    }
    const form = new FormData();
    form.append("schemaName", name.value.trim());
    form.append("mode", hasFile && hasPrompt ? "document_with_prompt" : hasFile ? "document_only" : "prompt_only");
    if (hasFile) form.append("file", file.files[0]);
    if (hasPrompt) form.append("userPrompt", prompt.value.trim());
    submit.disabled = true;
    status.textContent = "Reading the sample…";
    try {
      const schema = await upload("/api/schema/ai", form, (done, total) => {
        status.textContent = done < total ? `Uploading… ${Math.round((100 * done) / total)} %` : "Reading the sample…";
      });
      location.hash = `#/schemas/${schema.id}`;
    } catch (error) {
      showError(errors, error);
      status.textContent = "";
    } finally {
      submit.disabled = false;
    }
  }

  main.append(
    h("nav", { class: "crumbs" }, h("a", { href: "#/schemas" }, "Schemas")),
    h("h1", {}, "Suggest a schema"),
    h("p", { class: "muted" }, "Quarry reads a sample document (and/or your description) and proposes the fields. You can edit the result before running it."),
    h(
      "form",
      { class: "card narrow", onsubmit: onSubmit },
      field("Schema name", name),
      field("Sample document", file, "Optional if you describe the fields below."),
      field("Fields you want", prompt, "Optional if you give a sample."),
      errors,
      h("div", { class: "row" }, submit, status),
    ),
  );
  name.focus();
}
