// The schema editor: fields with type, description, required, arrays, nested objects and
// allowed values (with fuzzy matching). Saves with POST (new) or PATCH (a new version).

import { del, get, patch, post } from "../api.js";
import { clear, field, h, loading, nextId, showError, toast } from "../dom.js";

const TYPES = ["text", "number", "date", "boolean", "object"];
const MAX_DEPTH = 5;

function blankField() {
  return { name: "", type: "text", description: "", required: false, isArray: false, properties: [], possibleValues: [], fuzzyMatch: false, fuzzyThreshold: 85 };
}

function fromServer(f) {
  return {
    ...blankField(),
    ...f,
    description: f.description || "",
    properties: (f.properties || []).map(fromServer),
    possibleValues: f.possibleValues || [],
  };
}

function toServer(f) {
  const out = { name: f.name.trim(), type: f.type, required: f.required, isArray: f.isArray };
  if (f.description.trim()) out.description = f.description.trim();
  if (f.type === "object") out.properties = f.properties.map(toServer);
  if (f.type === "text" && f.possibleValues.length) {
    out.possibleValues = f.possibleValues;
    out.fuzzyMatch = f.fuzzyMatch;
    out.fuzzyThreshold = Number(f.fuzzyThreshold);
  }
  return out;
}

export async function schemaEditorView(main, schemaId) {
  let schema = { name: "", description: "", fields: [blankField()] };
  if (schemaId) {
    main.append(loading());
    const stored = await get(`/api/schema/${schemaId}`);
    schema = { ...stored, description: stored.description || "", fields: stored.fields.map(fromServer) };
    clear(main);
  }
  const name = h("input", { type: "text", required: true, maxlength: 200, value: schema.name, testid: "schema-name" });
  const description = h("input", { type: "text", maxlength: 2000, value: schema.description, testid: "schema-description" });
  const fieldsSlot = h("div", { class: "fields-slot" });
  const errors = h("div", { class: "error-slot", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "primary", testid: "schema-save" }, schemaId ? "Save new version" : "Create schema");

  function redraw() {
    clear(fieldsSlot, fieldList(schema.fields, redraw, 1, "fields"));
    showError(errors, null); // the fields changed: an earlier complaint may no longer hold
  }

  async function onSubmit(event) {
    event.preventDefault();
    showError(errors, null);
    markFields(fieldsSlot, []);
    const body = { name: name.value.trim(), description: description.value.trim() || null, fields: schema.fields.map(toServer) };
    save.disabled = true;
    try {
      const saved = schemaId ? await patch(`/api/schema/${schemaId}`, body) : await post("/api/schema", body);
      toast(schemaId ? `Saved — version ${saved.version}` : "Schema created");
      if (schemaId) location.hash = `#/schemas/${saved.id}`;
      else location.hash = `#/schemas/${saved.id}`;
    } catch (error) {
      showError(errors, error);
      markFields(fieldsSlot, error.details || []);
    } finally {
      save.disabled = false;
    }
  }

  async function onDelete() {
    if (!confirm(`Delete the schema “${schema.name}”? Jobs that used it keep their results.`)) return;
    try {
      await del(`/api/schema/${schemaId}`);
      toast("Schema deleted");
      location.hash = "#/schemas";
    } catch (error) {
      showError(errors, error);
    }
  }

  main.append(
    h("nav", { class: "crumbs" }, h("a", { href: "#/schemas" }, "Schemas")),
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, schemaId ? schema.name : "New schema"),
      schemaId
        ? h(
            "div",
            { class: "actions" },
            h("span", { class: "badge" }, `version ${schema.version}`),
            h("a", { class: "button", href: `#/schemas/${schemaId}/versions` }, "History"),
            h("a", { class: "button", href: `#/runs/new?schema=${schemaId}` }, "Run it"),
          )
        : null,
    ),
    h(
      "form",
      { class: "schema-form", onsubmit: onSubmit },
      h("div", { class: "card grid2" }, field("Name", name), field("Description", description, "Optional; for you and your team.")),
      h("h2", {}, "Fields"),
      fieldsSlot,
      h(
        "div",
        { class: "sticky-actions" },
        errors,
        h("div", { class: "row" }, save,
        schemaId ? h("button", { type: "button", class: "danger ghost", onclick: onDelete }, "Delete schema") : null),
      ),
    ),
  );
  redraw();
  if (!schemaId) name.focus();
}

function fieldList(fields, redraw, depth, path) {
  return h(
    "div",
    { class: `field-list depth-${depth}` },
    fields.map((f, i) => fieldCard(fields, i, redraw, depth, `${path}[${i}]`)),
    h(
      "button",
      {
        type: "button",
        class: "add",
        testid: depth === 1 ? "field-add" : "property-add",
        onclick: () => {
          fields.push(blankField());
          redraw();
          const cards = document.querySelectorAll(`.field-list.depth-${depth} > .field-card`);
          const last = cards[cards.length - 1];
          if (last) last.querySelector("input").focus();
        },
      },
      depth === 1 ? "+ Add field" : "+ Add property",
    ),
  );
}

function fieldCard(fields, index, redraw, depth, path) {
  const f = fields[index];
  const nameInput = h("input", { type: "text", value: f.name, required: true, maxlength: 100, pattern: "[A-Za-z_][A-Za-z0-9_]*", placeholder: "invoice_number", testid: "field-name", oninput: (e) => (f.name = e.target.value) });
  const type = h(
    "select",
    { testid: "field-type", onchange: (e) => { f.type = e.target.value; if (f.type === "object" && !f.properties.length) f.properties.push(blankField()); redraw(); } },
    TYPES.filter((t) => t !== "object" || depth < MAX_DEPTH).map((t) => h("option", { value: t, selected: t === f.type }, t)),
  );
  const desc = h("input", { type: "text", value: f.description, maxlength: 2000, placeholder: "What it is, how it is printed", testid: "field-description", oninput: (e) => (f.description = e.target.value) });
  const required = checkbox("Required", f.required, (v) => (f.required = v), "field-required");
  const isArray = checkbox(f.type === "object" ? "A list of these (table rows)" : "A list", f.isArray, (v) => (f.isArray = v), "field-array");
  const move = (delta) => {
    const j = index + delta;
    if (j < 0 || j >= fields.length) return;
    [fields[index], fields[j]] = [fields[j], fields[index]];
    redraw();
  };
  return h(
    "fieldset",
    { class: "field-card", testid: "field-card", "data-path": path },
    h("legend", { class: "sr-only" }, `Field ${path}`),
    h(
      "div",
      { class: "field-main" },
      field("Field name", nameInput),
      field("Type", type),
      field("Description", desc),
      h("div", { class: "checks" }, required, isArray),
      h(
        "div",
        { class: "card-tools" },
        h("button", { type: "button", class: "icon", title: "Move up", "aria-label": `Move ${f.name || "field"} up`, onclick: () => move(-1), disabled: index === 0 }, "↑"),
        h("button", { type: "button", class: "icon", title: "Move down", "aria-label": `Move ${f.name || "field"} down`, onclick: () => move(1), disabled: index === fields.length - 1 }, "↓"),
        h("button", { type: "button", class: "icon danger", title: "Remove", "aria-label": `Remove ${f.name || "field"}`, onclick: () => { fields.splice(index, 1); redraw(); } }, "×"),
      ),
    ),
    f.type === "object" ? h("div", { class: "nested" }, h("p", { class: "muted small" }, f.isArray ? "Each row has:" : "Properties:"), fieldList(f.properties, redraw, depth + 1, `${path}.properties`)) : null,
    f.type === "text" ? possibleValues(f) : null,
  );
}

function checkbox(label, checked, onChange, testid) {
  const id = nextId("c");
  return h(
    "span",
    { class: "check" },
    h("input", { type: "checkbox", id, checked, testid, onchange: (e) => onChange(e.target.checked) }),
    h("label", { for: id }, label),
  );
}

function possibleValues(f) {
  const text = h("textarea", {
    rows: 3,
    placeholder: "One allowed value per line (optional)",
    testid: "field-possible-values",
    oninput: (e) => {
      const labels = e.target.value.split("\n").map((s) => s.trim()).filter(Boolean);
      f.possibleValues = labels.map((label, i) => ({ id: (f.possibleValues[i] && f.possibleValues[i].label === label && f.possibleValues[i].id) || slug(label, i), label }));
    },
  });
  text.value = f.possibleValues.map((v) => v.label).join("\n");
  const threshold = h("input", { type: "number", min: 0, max: 100, value: f.fuzzyThreshold, class: "short", oninput: (e) => (f.fuzzyThreshold = e.target.value) });
  return h(
    "details",
    { class: "allowed", open: f.possibleValues.length > 0 },
    h("summary", {}, `Allowed values${f.possibleValues.length ? ` (${f.possibleValues.length})` : ""}`),
    field("Allowed values", text, "A value outside this list becomes empty, with the reason shown in review."),
    h("div", { class: "row" }, checkbox("Accept near misses (fuzzy match)", f.fuzzyMatch, (v) => (f.fuzzyMatch = v)), field("Minimum similarity (0–100)", threshold)),
  );
}

function slug(label, i) {
  const s = label.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "");
  return s || `value_${i + 1}`;
}

/** Outline the field cards an API error names (`fields[2].properties[0].name`) and say why. */
function markFields(root, details) {
  root.querySelectorAll(".field-card.has-error").forEach((card) => card.classList.remove("has-error"));
  root.querySelectorAll(".field-error").forEach((el) => el.remove());
  const cards = [...root.querySelectorAll(".field-card")];
  for (const detail of details) {
    const card = cards
      .filter((c) => detail.field === c.dataset.path || detail.field.startsWith(`${c.dataset.path}.`))
      .sort((a, b) => b.dataset.path.length - a.dataset.path.length)[0];
    if (!card) continue;
    card.classList.add("has-error");
    card.querySelector(".field-main").after(h("p", { class: "field-error" }, detail.message));
  }
  const first = root.querySelector(".field-card.has-error");
  if (first) first.scrollIntoView({ block: "center" });
}
