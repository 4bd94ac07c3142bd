// A run: live counters and progress from its event stream, cancel, the results table (one
// row per document, one column per top-level schema field), status filter, export.

import { ApiError, all, download, followRun, get, post, saveBlob } from "../api.js";
import { clear, field, fmtDateTime, fmtNumber, fmtValue, h, loading, showError, statusBadge, toast } from "../dom.js";

const JOB_STATUSES = ["PENDING", "QUEUED", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"];

export async function runView(main, runId) {
  main.append(loading());
  const run = await get(`/api/job-runs/${runId}`);
  const [jobs, fields, schemaName] = await Promise.all([
    all(`/api/job-runs/${runId}/jobs`, 2000),
    schemaFields(run),
    get(`/api/schema/${run.schemaId}`).then((s) => s.name, () => run.schemaId),
  ]);
  const state = { run, jobs: new Map(jobs.map((j) => [j.id, j])), values: new Map(), rows: new Map() };
  clear(main);

  const statusEl = h("span", { testid: "run-status", class: "badge" });
  const live = h("span", { class: "live", role: "status" }, "connecting");
  const bar = h("progress", { max: 100, value: 0, "aria-label": "Run progress" });
  const pct = h("span", { class: "pct" });
  const counters = {};
  const counterBox = h(
    "div",
    { class: "counters" },
    [["total", "Documents"], ["completed", "Completed"], ["failed", "Failed"], ["cancelled", "Cancelled"], ["pending", "In progress"]].map(([key, label]) =>
      h("div", { class: "counter" }, (counters[key] = h("span", { class: "n", testid: `count-${key}` })), h("span", { class: "label" }, label)),
    ),
  );
  const errors = h("div", { class: "error-slot", "aria-live": "polite" });
  const cancel = h("button", { type: "button", class: "danger", testid: "run-cancel", onclick: onCancel }, "Cancel run");
  const filter = h("select", { testid: "job-status-filter", onchange: applyFilter }, h("option", { value: "" }, "All"), JOB_STATUSES.map((s) => h("option", { value: s }, s)));
  const tbody = h("tbody");
  const shown = h("span", { class: "muted small", "aria-live": "polite" });

  function paintRun() {
    const r = state.run;
    statusEl.className = `badge s-${r.status.toLowerCase()}`;
    statusEl.textContent = r.status;
    bar.value = r.progress;
    pct.textContent = `${r.progress} %`;
    counters.total.textContent = fmtNumber(r.totalJobs);
    counters.completed.textContent = fmtNumber(r.completedJobs);
    counters.failed.textContent = fmtNumber(r.failedJobs);
    counters.cancelled.textContent = fmtNumber(r.cancelledJobs);
    counters.pending.textContent = fmtNumber(r.totalJobs - r.completedJobs - r.failedJobs - r.cancelledJobs);
    cancel.hidden = r.status !== "PROCESSING";
  }

  function rowFor(job, index) {
    const open = () => (location.hash = `#/jobs/${job.id}?run=${runId}`);
    const tr = h("tr", { class: "clickable", tabindex: "0", testid: "job-row", "data-job-id": job.id, onclick: open, onkeydown: (e) => e.key === "Enter" && open() });
    tr._index = index;
    state.rows.set(job.id, tr);
    paintRow(job);
    return tr;
  }

  function paintRow(job) {
    const tr = state.rows.get(job.id);
    if (!tr) return;
    tr.dataset.status = job.status;
    const values = state.values.get(job.id) || {};
    const name = job.document ? job.document.fileName : job.source && (job.source.url || job.source.fileId);
    clear(
      tr,
      h("td", { class: "num muted" }, tr._index + 1),
      h("td", { class: "cell", title: name || "" }, h("a", { href: `#/jobs/${job.id}?run=${runId}`, onclick: (e) => e.stopPropagation() }, name || job.id), job.externalRef ? h("div", { class: "muted small" }, job.externalRef) : null),
      h("td", {}, statusBadge(job.status), job.errorCode ? h("div", { class: "err-code", title: job.errorMessage || "" }, job.errorCode) : null),
      fields.map((f) => {
        const text = job.status === "COMPLETED" ? fmtValue(values[f.name], f.isArray ? "array" : f.type) : "";
        return h("td", { class: `cell${f.type === "number" && !f.isArray ? " num" : ""}`, title: text }, text);
      }),
    );
    applyFilterTo(tr);
  }

  function applyFilterTo(tr) {
    tr.hidden = Boolean(filter.value) && tr.dataset.status !== filter.value;
  }
  function applyFilter() {
    for (const tr of state.rows.values()) applyFilterTo(tr);
    const visible = [...state.rows.values()].filter((tr) => !tr.hidden).length;
    shown.textContent = filter.value ? `${visible} of ${state.rows.size} documents` : "";
  }

  function onEvent(event) {
    const data = event.data && event.data.data;
    if (!data) return;
    if (data.jobRun) {
      state.run = { ...state.run, ...data.jobRun };
      paintRun();
    }
    if (data.job && data.job.parentRunId === runId) {
      const job = { ...(state.jobs.get(data.job.id) || {}), ...data.job };
      state.jobs.set(job.id, job);
      if (data.extraction && data.extraction.fields) state.values.set(job.id, data.extraction.fields);
      if (!state.rows.has(job.id)) tbody.append(rowFor(job, state.rows.size));
      else paintRow(job);
    }
  }

  async function onCancel() {
    if (!confirm("Cancel this run? Documents already extracted keep their results.")) return;
    try {
      state.run = await post(`/api/job-runs/${runId}/cancel`);
      paintRun();
      toast("Run cancelled");
    } catch (error) {
      showError(errors, error);
    }
  }

  async function exportAs(format) {
    showError(errors, null);
    try {
      await download(`/api/job-runs/${runId}/results?format=${format}`, `run-${runId}.${format}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        saveBlob(new Blob(["\ufeff" + toCsv(fields, [...state.jobs.values()], state.values)], { type: "text/csv" }), `run-${runId}.csv`);
        if (format !== "csv") toast("This server cannot export XLSX yet; saved a CSV instead");
      } else {
        showError(errors, error);
      }
    }
  }

  main.classList.add("wide");
  main.append(
    h("nav", { class: "crumbs" }, h("a", { href: "#/runs" }, "Runs")),
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, `Run of ${schemaName}`),
      h(
        "div",
        { class: "actions" },
        live,
        h("button", { type: "button", testid: "export-csv", onclick: () => exportAs("csv") }, "Export CSV"),
        h("button", { type: "button", testid: "export-xlsx", onclick: () => exportAs("xlsx") }, "Export XLSX"),
        cancel,
      ),
    ),
    h(
      "div",
      { class: "meta" },
      h("span", {}, "Status ", statusEl),
      h("span", {}, "Schema ", h("a", { href: `#/schemas/${run.schemaId}` }, schemaName), ` v${run.schemaVersion}`),
      h("span", {}, `Source ${run.source}`),
      h("span", {}, `Started ${fmtDateTime(run.createdAt)}`),
      h("span", { class: "mono small" }, run.id),
    ),
    h("div", { class: "run-bar" }, bar, pct),
    counterBox,
    errors,
    h("div", { class: "toolbar" }, field("Show", filter), shown),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data results", testid: "results-table" },
        h("colgroup", {}, h("col", { class: "c-index" }), h("col", { class: "c-doc" }), h("col", { class: "c-status" }), fields.map(() => h("col", { class: "c-field" }))),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "#"), h("th", { scope: "col" }, "Document"), h("th", { scope: "col" }, "Status"), fields.map((f) => h("th", { scope: "col", title: f.description || "" }, f.name)))),
        tbody,
      ),
    ),
  );
  if (jobs.length >= 2000) main.append(h("p", { class: "muted" }, "Showing the first 2,000 documents; export for all of them."));
  main.querySelector("table.results").style.width = `${27.2 + 9.5 * fields.length}rem`;
  paintRun();
  jobs.forEach((job, i) => tbody.append(rowFor(job, i)));

  const stop = followRun(
    runId,
    (event) => {
      live.textContent = "live";
      live.classList.add("on");
      onEvent(event);
    },
    async () => {
      live.textContent = "up to date";
      live.classList.remove("on");
      try {
        state.run = await get(`/api/job-runs/${runId}`);
        paintRun();
      } catch (error) {
        showError(errors, error);
      }
    },
  );
  return stop;
}

async function schemaFields(run) {
  try {
    const version = await get(`/api/schema/${run.schemaId}/versions/${run.schemaVersion}`);
    return version.fields;
  } catch {
    return [];
  }
}

function csvCell(value) {
  if (value === null || value === undefined) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(fields, jobs, values) {
  const head = ["jobId", "externalRef", "fileName", "status", "errorCode", ...fields.map((f) => f.name)];
  const lines = [head.map(csvCell).join(",")];
  for (const job of jobs) {
    const v = values.get(job.id) || {};
    lines.push(
      [job.id, job.externalRef, job.document && job.document.fileName, job.status, job.errorCode, ...fields.map((f) => v[f.name])].map(csvCell).join(","),
    );
  }
  return lines.join("\r\n") + "\r\n";
}
