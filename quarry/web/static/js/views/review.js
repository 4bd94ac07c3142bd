// Document review: the pages rendered by the server with each field's box drawn over them,
// the fields with confidence, grounding and null reasons; edit, save (PATCH …/extraction,
// which marks it reviewed), and move to the next or previous document of the run.

import { ApiError, all, get, imageUrl, patch } from "../api.js";
import { clear, fmtPercent, h, loading, nextId, showError, toast } from "../dom.js";

const LOW_CONFIDENCE = 0.6;
const NULL_REASONS = {
  NOT_IN_DOCUMENT: "not in the document",
  NOT_EXTRACTED: "label seen, no readable value",
  NOT_ALLOWED_VALUE: "read, but not an allowed value",
  ILLEGIBLE: "illegible",
};

export async function reviewView(main, jobId, query) {
  const runId = query.get("run");
  main.classList.add("review");
  main.append(loading());
  const job = await get(`/api/jobs/${jobId}`);
  const [siblings, fields] = await Promise.all([
    runId || job.parentRunId ? all(`/api/job-runs/${runId || job.parentRunId}/jobs`, 2000) : Promise.resolve([]),
    get(`/api/schema/${job.schemaId}/versions/${job.schemaVersion}`).then((v) => v.fields, () => []),
  ]);
  const run = runId || job.parentRunId;
  let extraction = null;
  let notReady = null;
  try {
    extraction = await get(`/api/jobs/${jobId}/extraction`);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409)) throw error;
    notReady = error;
  }
  clear(main);

  const index = siblings.findIndex((j) => j.id === jobId);
  const prevJob = index > 0 ? siblings[index - 1] : null;
  const nextJob = index >= 0 && index < siblings.length - 1 ? siblings[index + 1] : null;
  const state = { draft: extraction ? structuredClone(extraction.fields) : {}, selected: null, rows: [], boxes: new Map(), invalid: new Set() };
  const errors = h("div", { class: "error-slot", "aria-live": "polite" });
  const saveBtn = h("button", { type: "button", class: "primary", testid: "save-corrections", onclick: save, disabled: !extraction }, "Save corrections");
  const saveNote = h("span", { class: "muted small", role: "status" });
  const pages = h("div", { class: "pages", testid: "doc-pages", "aria-label": "Document pages" });
  const list = h("div", { class: "fields-scroll", role: "list", "aria-label": "Fields" });

  function go(target) {
    if (!target) return;
    if (changedKeys().length && !confirm("Leave without saving your corrections?")) return;
    location.hash = `#/jobs/${target.id}${run ? `?run=${run}` : ""}`;
  }

  const name = job.document ? job.document.fileName : job.id;
  main.append(
    h(
      "div",
      { class: "review-head" },
      h(
        "div",
        {},
        h("nav", { class: "crumbs" }, h("a", { href: "#/runs" }, "Runs"), run ? [" / ", h("a", { href: `#/runs/${run}` }, "this run")] : null),
        h("h1", { title: name }, name),
      ),
      h(
        "div",
        { class: "actions" },
        job.externalRef ? h("span", { class: "badge" }, job.externalRef) : null,
        extraction && extraction.reviewed ? h("span", { class: "badge s-completed", testid: "reviewed-badge" }, "Reviewed") : null,
        index >= 0 ? h("span", { class: "muted small" }, `${index + 1} of ${siblings.length}`) : null,
        h("button", { type: "button", testid: "review-prev", disabled: !prevJob, onclick: () => go(prevJob), title: "Previous document (p)" }, "← Previous"),
        h("button", { type: "button", testid: "review-next", disabled: !nextJob, onclick: () => go(nextJob), title: "Next document (n)" }, "Next →"),
      ),
    ),
    h(
      "div",
      { class: "review-grid" },
      pages,
      h(
        "section",
        { class: "fields-panel", "aria-label": "Extracted fields" },
        list,
        h("div", { class: "panel-foot" }, saveBtn, saveNote, h("span", { class: "muted small" }, h("kbd", {}, "j"), "/", h("kbd", {}, "k"), " field · ", h("kbd", {}, "n"), "/", h("kbd", {}, "p"), " document · ", h("kbd", {}, "Ctrl"), "+", h("kbd", {}, "S"), " save")),
        errors,
      ),
    ),
  );

  drawPages(job, pages);
  if (notReady) {
    clear(list, h("div", { class: "notice info" }, h("strong", {}, `This document is ${job.status}.`), h("p", {}, job.errorCode ? `${job.errorCode}: ${job.errorMessage || ""}` : notReady.message)));
  } else {
    drawFields();
  }

  function drawFields() {
    state.rows = [];
    const details = extraction.fieldDetails || {};
    clear(list, flatten(fields, state.draft, "").map((item) => (item.group ? h("div", { class: "group-title" }, item.group) : fieldRow(item, details[item.path] || null))));
    if (!fields.length) list.append(h("p", { class: "notice info" }, "The schema version of this job is no longer available; values are shown without types."));
    redrawBoxes(details);
  }

  function fieldRow(item, detail) {
    const control = valueControl(item, (value, ok) => {
      if (ok) {
        state.invalid.delete(item.path);
        setPath(state.draft, item, value);
      } else {
        state.invalid.add(item.path);
      }
      row.classList.toggle("changed", JSON.stringify(getPath(extraction.fields, item.path)) !== JSON.stringify(getPath(state.draft, item.path)));
      row.classList.toggle("invalid", !ok);
      saveNote.textContent = changedKeys().length ? "Unsaved changes" : "";
    });
    control.id = nextId("v");
    const conf = detail ? detail.confidence : null;
    const empty = item.value === null || item.value === undefined;
    const low = conf !== null && conf < LOW_CONFIDENCE && !empty;
    const flags = [];
    if (detail && detail.reviewed) flags.push(h("span", { class: "flag ok" }, "reviewed"));
    if (low) flags.push(h("span", { class: "flag warn" }, "low confidence"));
    if (detail && detail.grounded === false && !empty && !detail.reviewed) flags.push(h("span", { class: "flag warn", title: "The value was not found in the document" }, "not found on the page"));
    if (detail && detail.nullReason) flags.push(h("span", { class: "flag", testid: "null-reason" }, NULL_REASONS[detail.nullReason] || detail.nullReason));
    if (detail && detail.page) flags.push(h("span", { class: "flag" }, `page ${detail.page}`));
    const row = h(
      "div",
      { class: "field-row", role: "listitem", testid: "field-row", "data-path": item.path, onclick: () => select(item.path, "row") },
      h("label", { class: "path", for: control.id }, item.label, h("span", { class: "sub" }, item.typeLabel)),
      control,
      h("span", { class: `conf${low ? " low" : ""}`, title: "confidence" }, conf === null || empty ? "—" : fmtPercent(conf)),
      flags.length ? h("div", { class: "flags" }, flags) : null,
    );
    control.addEventListener("focus", () => select(item.path, "row"));
    state.rows.push({ path: item.path, row, control });
    return row;
  }

  function redrawBoxes(details) {
    for (const boxes of state.boxes.values()) boxes.forEach((b) => b.remove());
    state.boxes.clear();
    for (const [path, d] of Object.entries(details)) {
      if (!d || !d.bbox || !d.page || !state.rows.some((r) => r.path === path)) continue;
      const box = h("div", { class: `bbox${d.confidence < LOW_CONFIDENCE ? " low" : ""}`, testid: "bbox", "data-path": path, title: `${path}: ${d.text || ""}`, onclick: () => select(path, "box") });
      const [x0, y0, x1, y1] = d.bbox;
      Object.assign(box.style, { left: `${x0 * 100}%`, top: `${y0 * 100}%`, width: `${Math.max(0.2, (x1 - x0) * 100)}%`, height: `${Math.max(0.2, (y1 - y0) * 100)}%` });
      box.dataset.page = d.page;
      const page = pages.querySelector(`[data-page="${d.page}"]`);
      if (page) page.append(box);
      if (!state.boxes.has(path)) state.boxes.set(path, []);
      state.boxes.get(path).push(box);
    }
  }

  function select(path, from) {
    state.selected = path;
    for (const r of state.rows) r.row.classList.toggle("selected", r.path === path);
    for (const [p, boxes] of state.boxes) boxes.forEach((b) => b.classList.toggle("selected", p === path));
    const boxes = state.boxes.get(path);
    if (boxes && from !== "box") {
      const box = boxes[0];
      const top = box.parentElement.offsetTop + box.offsetTop + box.offsetHeight / 2 - pages.clientHeight / 2;
      pages.scrollTo({ top: Math.max(0, top), behavior: "smooth" });
    }
    const r = state.rows.find((x) => x.path === path);
    if (r && from === "box") {
      r.row.scrollIntoView({ block: "nearest" });
      r.control.focus({ preventScroll: true });
    }
  }

  function changedKeys() {
    if (!extraction) return [];
    return Object.keys(state.draft).filter((k) => JSON.stringify(state.draft[k]) !== JSON.stringify(extraction.fields[k]));
  }

  async function save() {
    showError(errors, null);
    if (state.invalid.size) {
      showError(errors, new ApiError(400, { message: `Fix the highlighted values first: ${[...state.invalid].join(", ")}` }));
      return;
    }
    const keys = changedKeys();
    if (!keys.length) {
      toast("Nothing to save");
      return;
    }
    saveBtn.disabled = true;
    try {
      extraction = await patch(`/api/jobs/${jobId}/extraction`, { fields: Object.fromEntries(keys.map((k) => [k, state.draft[k]])) });
      state.draft = structuredClone(extraction.fields);
      drawFields();
      saveNote.textContent = "Saved";
      toast(`Saved ${keys.length} field${keys.length > 1 ? "s" : ""}`);
    } catch (error) {
      showError(errors, error);
    } finally {
      saveBtn.disabled = false;
    }
  }

  function onKey(event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "s") {
      event.preventDefault();
      save();
      return;
    }
    const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement && document.activeElement.tagName);
    if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "n") go(nextJob);
    else if (event.key === "p") go(prevJob);
    else if (event.key === "j" || event.key === "k") {
      const at = state.rows.findIndex((r) => r.path === state.selected);
      const to = state.rows[Math.max(0, Math.min(state.rows.length - 1, at + (event.key === "j" ? 1 : -1)))];
      if (to) {
        select(to.path, "key");
        to.row.scrollIntoView({ block: "nearest" });
      }
    }
  }
  document.addEventListener("keydown", onKey);
  return () => {
    document.removeEventListener("keydown", onKey);
    pages.querySelectorAll("img").forEach((img) => URL.revokeObjectURL(img.src));
  };
}

function drawPages(job, pages) {
  const doc = job.document;
  if (!doc) {
    pages.append(h("p", { class: "no-image" }, "The document has not been fetched yet."));
    return;
  }
  const count = Math.max(1, doc.pages || 1);
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) if (entry.isIntersecting) load(entry.target);
  }, { root: pages, rootMargin: "400px" });
  async function load(el) {
    if (el.dataset.state) return;
    el.dataset.state = "loading";
    observer.unobserve(el);
    try {
      const url = await imageUrl(`/api/documents/${doc.id}/pages/${el.dataset.page}?width=1400`);
      const img = h("img", { src: url, alt: `Page ${el.dataset.page} of ${doc.fileName}` });
      img.addEventListener("load", () => el.classList.add("loaded"), { once: true });
      el.prepend(img);
      el.dataset.state = "done";
    } catch (error) {
      el.classList.add("loaded");
      el.prepend(h("p", { class: "no-image" }, error.message));
    }
  }
  for (let n = 1; n <= count; n++) {
    const el = h("div", { class: "page", testid: "doc-page", "data-page": n }, h("span", { class: "page-no" }, `${n} / ${count}`));
    pages.append(el);
    observer.observe(el);
  }
}

// ---- the fields as rows: objects and arrays unfolded into paths like fieldDetails' keys ----

function flatten(fields, values, prefix) {
  const out = [];
  for (const f of fields) {
    const path = prefix + f.name;
    const value = values ? values[f.name] : null;
    if (f.isArray) {
      const items = Array.isArray(value) ? value : [];
      if (!items.length) out.push({ path, label: path, def: f, value: null, typeLabel: `list of ${f.type}`, readOnly: true });
      items.forEach((item, i) => {
        if (f.type === "object") {
          out.push({ group: `${path}[${i + 1}]` });
          out.push(...flatten(f.properties || [], item, `${path}[${i}].`));
        } else {
          out.push({ path: `${path}[${i}]`, label: `${path}[${i + 1}]`, def: { ...f, isArray: false }, value: item, typeLabel: f.type });
        }
      });
    } else if (f.type === "object") {
      out.push({ group: path });
      const props = f.properties || [];
      out.push(...flatten(props, value || null, `${path}.`));
    } else {
      out.push({ path, label: path, def: f, value, typeLabel: f.required ? `${f.type}, required` : f.type });
    }
  }
  if (!fields.length && values && typeof values === "object") {
    for (const [k, v] of Object.entries(values)) out.push({ path: prefix + k, label: prefix + k, def: { type: "text" }, value: v, typeLabel: "", readOnly: true });
  }
  return out;
}

function tokens(path) {
  return path.split(/\.|\[(\d+)\]/).filter((t) => t !== undefined && t !== "").map((t) => (/^\d+$/.test(t) ? Number(t) : t));
}

function getPath(obj, path) {
  let at = obj;
  for (const t of tokens(path)) {
    if (at === null || at === undefined) return null;
    at = at[t];
  }
  return at === undefined ? null : at;
}

function setPath(obj, item, value) {
  const parts = tokens(item.path);
  let at = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    if (at[parts[i]] === null || at[parts[i]] === undefined) at[parts[i]] = typeof parts[i + 1] === "number" ? [] : {};
    at = at[parts[i]];
  }
  at[parts[parts.length - 1]] = value;
}

function valueControl(item, onChange) {
  const f = item.def;
  const v = item.value;
  if (item.readOnly) {
    return h("input", { type: "text", value: v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v), readonly: true, class: "field-value", testid: "field-value", placeholder: "empty" });
  }
  if (f.type === "boolean") {
    const select = h("select", { class: "field-value", testid: "field-value" }, h("option", { value: "", selected: v === null || v === undefined }, "— empty —"), h("option", { value: "true", selected: v === true }, "Yes"), h("option", { value: "false", selected: v === false }, "No"));
    select.addEventListener("change", () => onChange(select.value === "" ? null : select.value === "true", true));
    return select;
  }
  if (f.type === "text" && f.possibleValues && f.possibleValues.length) {
    const labels = f.possibleValues.map((p) => p.label);
    if (v && !labels.includes(v)) labels.unshift(v);
    const select = h("select", { class: "field-value", testid: "field-value" }, h("option", { value: "" }, "— empty —"), labels.map((l) => h("option", { value: l, selected: l === v }, l)));
    select.addEventListener("change", () => onChange(select.value || null, true));
    return select;
  }
  const input = h("input", {
    type: f.type === "date" ? "date" : "text",
    inputmode: f.type === "number" ? "decimal" : null,
    value: v === null || v === undefined ? "" : String(v),
    class: "field-value",
    testid: "field-value",
    placeholder: "empty",
  });
  input.addEventListener("input", () => {
    const [value, ok] = parseValue(input.value, f.type);
    input.setCustomValidity(ok ? "" : "Not a number");
    onChange(value, ok);
  });
  return input;
}

function parseValue(text, type) {
  const t = text.trim();
  if (!t) return [null, true];
  if (type !== "number") return [t, true];
  let s = t.replace(/[\s\u00a0']/g, "");
  if (s.includes(",") && !s.includes(".")) s = s.replace(",", ".");
  else s = s.replace(/,/g, "");
  const n = Number(s);
  return /^-?\d*\.?\d+$/.test(s) && Number.isFinite(n) ? [n, true] : [null, false];
}
