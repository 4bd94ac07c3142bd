// A new run: pick a schema, then drop files (many at once) or paste URLs with optional
// externalRef; the upload shows its own progress before the run page takes over.

import { ApiError, all, post, upload } from "../api.js";
import { clear, empty, field, fmtBytes, h, loading, showError } from "../dom.js";

export async function newRunView(main, query) {
  main.append(loading());
  const schemas = await all("/api/schema", 500);
  clear(main);
  main.append(h("nav", { class: "crumbs" }, h("a", { href: "#/runs" }, "Runs")), h("h1", {}, "New run"));
  if (!schemas.length) {
    main.append(empty("You need a schema first", "A run extracts the fields of a schema from each document.", h("a", { class: "button primary", href: "#/schemas/new" }, "Create a schema")));
    return;
  }
  const wanted = query.get("schema");
  const schema = h(
    "select",
    { testid: "run-schema", required: true },
    schemas.map((s) => h("option", { value: s.id, selected: s.id === wanted }, `${s.name} (v${s.version}, ${s.fields.length} fields)`)),
  );
  const errors = h("div", { class: "error-slot", "aria-live": "polite" });
  const files = [];
  const fileInput = h("input", { type: "file", multiple: true, testid: "run-files", id: "run-files", class: "sr-only" });
  const list = h("ul", { class: "file-list", "aria-label": "Files to upload" });
  const urls = h("textarea", { rows: 8, testid: "run-urls", placeholder: "https://example.com/invoice-1.pdf, INV-001\nhttps://example.com/invoice-2.pdf" });
  const bar = h("progress", { max: 100, value: 0, hidden: true, "aria-label": "Upload progress" });
  const barText = h("span", { class: "muted small", role: "status" });
  const submit = h("button", { type: "submit", class: "primary", testid: "run-submit" }, "Start run");
  let mode = "files";

  function redrawFiles() {
    const total = files.reduce((n, f) => n + f.size, 0);
    clear(
      list,
      files.map((f, i) =>
        h("li", {}, h("span", {}, f.name), h("span", { class: "muted" }, fmtBytes(f.size), " ", h("button", { type: "button", class: "link", "aria-label": `Remove ${f.name}`, onclick: () => { files.splice(i, 1); redrawFiles(); } }, "remove"))),
      ),
    );
    summary.textContent = files.length ? `${files.length} file${files.length > 1 ? "s" : ""}, ${fmtBytes(total)}` : "";
  }
  function addFiles(list) {
    for (const f of list) if (!files.some((g) => g.name === f.name && g.size === f.size)) files.push(f);
    redrawFiles();
  }
  fileInput.addEventListener("change", () => {
    addFiles(fileInput.files);
  });
  const summary = h("p", { class: "muted small", "aria-live": "polite" });
  const drop = h(
    "div",
    { class: "dropzone", testid: "run-dropzone" },
    h("p", {}, h("strong", {}, "Drop documents here")),
    h("p", { class: "muted" }, "PDF, images, Office files, e-mails… many at once."),
    h("label", { for: "run-files", class: "button", tabindex: "0", onkeydown: (e) => (e.key === "Enter" || e.key === " ") && (e.preventDefault(), fileInput.click()) }, "Choose files"),
    fileInput,
  );
  for (const type of ["dragenter", "dragover"]) drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add("over"); });
  for (const type of ["dragleave", "drop"]) drop.addEventListener(type, () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    addFiles(e.dataTransfer.files);
  });

  const filesPane = h("div", { id: "pane-files", role: "tabpanel" }, drop, summary, list);
  const urlsPane = h("div", { id: "pane-urls", role: "tabpanel", hidden: true }, field("URLs, one per line", urls, "Optionally follow a URL with a comma or tab and your own reference (externalRef), e.g. an invoice number."));
  const tabFiles = h("button", { type: "button", role: "tab", "aria-selected": "true", "aria-controls": "pane-files", testid: "run-tab-files", onclick: () => select("files") }, "Upload files");
  const tabUrls = h("button", { type: "button", role: "tab", "aria-selected": "false", "aria-controls": "pane-urls", testid: "run-tab-urls", onclick: () => select("urls") }, "Paste URLs");
  function select(which) {
    mode = which;
    tabFiles.setAttribute("aria-selected", String(which === "files"));
    tabUrls.setAttribute("aria-selected", String(which === "urls"));
    filesPane.hidden = which !== "files";
    urlsPane.hidden = which !== "urls";
  }

  async function onSubmit(event) {
    event.preventDefault();
    showError(errors, null);
    submit.disabled = true;
    try {
      const runId = mode === "files" ? await sendFiles() : await sendUrls();
      location.hash = `#/runs/${runId}`;
    } catch (error) {
      showError(errors, error);
      bar.hidden = true;
      barText.textContent = "";
    } finally {
      submit.disabled = false;
    }
  }

  async function sendFiles() {
    if (!files.length) throw new ApiError(400, { message: "Add at least one file." });
    const form = new FormData();
    form.append("schemaId", schema.value);
    form.append("jobType", "EXTRACTION");
    for (const f of files) form.append("files", f, f.name);
    bar.hidden = false;
    const run = await upload("/api/job-runs", form, (done, total) => {
      bar.value = Math.round((100 * done) / total);
      barText.textContent = done < total ? `Uploading ${fmtBytes(done)} of ${fmtBytes(total)}` : "Creating the run…";
    });
    return run.id;
  }

  async function sendUrls() {
    const items = parseUrls(urls.value);
    if (!items.length) throw new ApiError(400, { message: "Paste at least one URL." });
    const answer = await post("/api/job-runs/from-urls", { schemaId: schema.value, jobType: "EXTRACTION", urls: items });
    return answer.jobRunId;
  }

  main.append(
    h(
      "form",
      { class: "card", onsubmit: onSubmit },
      field("Schema", schema, h("span", {}, "The fields to extract. ", h("a", { href: "#/schemas/new" }, "New schema"))),
      h("div", { class: "tabs", role: "tablist", "aria-label": "Documents" }, tabFiles, tabUrls),
      filesPane,
      urlsPane,
      errors,
      h("div", { class: "progress-line" }, bar, barText),
      h("div", { class: "row" }, submit, h("a", { class: "button ghost", href: "#/runs" }, "Cancel")),
    ),
  );
}

export function parseUrls(text) {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      let [url, ref] = [line, ""];
      const tab = line.indexOf("\t");
      const comma = line.match(/^(.*\S)\s*,\s*([^/=&,]+)$/) || line.match(/^(\S+)\s+(.+)$/);
      if (tab >= 0) [url, ref] = [line.slice(0, tab), line.slice(tab + 1)];
      else if (comma) [url, ref] = [comma[1], comma[2]];
      const item = { url: url.trim() };
      if (ref.trim()) item.externalRef = ref.trim();
      return item;
    });
}
