// The runs list: newest first, status filter, refreshed while runs are processing.

import { all, get } from "../api.js";
import { clear, empty, errorBox, field, fmtDateTime, fmtNumber, h, loading, statusBadge } from "../dom.js";

const STATUSES = ["PROCESSING", "COMPLETED", "FAILED", "CANCELLED"];

export async function runsView(main, query) {
  const status = h(
    "select",
    { testid: "runs-status-filter" },
    h("option", { value: "" }, "All statuses"),
    STATUSES.map((s) => h("option", { value: s, selected: query.get("status") === s }, s)),
  );
  const list = h("div", { class: "list-slot" }, loading());
  main.append(
    h("div", { class: "page-head" }, h("h1", {}, "Runs"), h("a", { class: "button primary", href: "#/runs/new", testid: "run-new" }, "New run")),
    h("p", { class: "muted" }, "Each run extracts one schema from a batch of documents."),
    h("div", { class: "toolbar" }, field("Status", status)),
    list,
  );
  let schemaNames = new Map();
  let timer = null;
  let page = 1;
  async function load() {
    clearTimeout(timer);
    try {
      if (!schemaNames.size) schemaNames = new Map((await all("/api/schema", 500)).map((s) => [s.id, s.name]));
      const filter = status.value ? `&status=${status.value}` : "";
      const answer = await get(`/api/job-runs?page=${page}&limit=25${filter}`);
      clear(list, answer.data.length ? [table(answer.data, schemaNames), pager(answer)] : emptyState(status.value));
      if (answer.data.some((r) => r.status === "PROCESSING")) timer = setTimeout(load, 3000);
    } catch (error) {
      clear(list, errorBox(error));
    }
  }
  function pager(answer) {
    if (answer.totalPages <= 1) return null;
    return h(
      "div",
      { class: "row pager" },
      h("button", { type: "button", disabled: page <= 1, onclick: () => { page--; load(); } }, "Previous"),
      h("span", { class: "muted" }, `Page ${answer.page} of ${answer.totalPages}`),
      h("button", { type: "button", disabled: page >= answer.totalPages, onclick: () => { page++; load(); } }, "Next"),
    );
  }
  status.addEventListener("change", () => {
    page = 1;
    load();
  });
  await load();
  return () => clearTimeout(timer);
}

function emptyState(filtered) {
  return filtered
    ? empty("No runs with this status", "Choose another status, or all of them.")
    : empty("No runs yet", "Start a run: pick a schema and drop a few documents.", h("a", { class: "button primary", href: "#/runs/new" }, "New run"));
}

function table(runs, schemaNames) {
  const open = (id) => (location.hash = `#/runs/${id}`);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data", testid: "runs-table" },
      h("thead", {}, h("tr", {}, ["Started", "Schema", "Status", "Progress", "Documents", "Completed", "Failed", "Source"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        runs.map((r) =>
          h(
            "tr",
            { class: "clickable", tabindex: "0", testid: "run-row", onclick: () => open(r.id), onkeydown: (e) => e.key === "Enter" && open(r.id) },
            h("td", {}, h("a", { href: `#/runs/${r.id}` }, fmtDateTime(r.createdAt))),
            h("td", {}, schemaNames.get(r.schemaId) || h("span", { class: "muted" }, r.schemaId)),
            h("td", {}, statusBadge(r.status)),
            h("td", {}, h("progress", { max: 100, value: r.progress, "aria-label": `${r.progress} %` })),
            h("td", { class: "num" }, fmtNumber(r.totalJobs)),
            h("td", { class: "num" }, fmtNumber(r.completedJobs)),
            h("td", { class: "num" }, fmtNumber(r.failedJobs)),
            h("td", {}, r.source),
          ),
        ),
      ),
    ),
  );
}
