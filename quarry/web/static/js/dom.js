// Small DOM helpers: element builder, locale formatting, notices, errors, empty states.

/** h("button", {class: "primary", onclick}, "Save") — attributes, handlers, children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "testid") {
      el.dataset.testid = value;
    } else if (key === "value") {
      el.value = value;
    } else if (key === "checked" || key === "selected" || key === "disabled") {
      el[key] = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
export const nextId = (prefix = "f") => `${prefix}-${++uid}`;

/** A labelled form control: label above, the control, an optional hint. */
export function field(label, control, hint) {
  if (!control.id) control.id = nextId();
  return h(
    "div",
    { class: "field" },
    h("label", { for: control.id }, label),
    control,
    hint ? h("p", { class: "hint" }, hint) : null,
  );
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 6 });
const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 0 });

export function fmtDateTime(iso) {
  return iso ? dateTime.format(new Date(iso)) : "—";
}
export function fmtDate(ymd) {
  return ymd ? dateOnly.format(new Date(`${ymd}T00:00:00Z`)) : "—";
}
export const fmtNumber = (n) => (n === null || n === undefined ? "—" : number.format(n));
export const fmtPercent = (fraction) => percent.format(fraction);

export function fmtBytes(n) {
  const units = ["B", "kB", "MB", "GB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${new Intl.NumberFormat(undefined, { maximumFractionDigits: i ? 1 : 0 }).format(n)} ${units[i]}`;
}

/** A value of the given schema type, formatted for reading. */
export function fmtValue(value, type) {
  if (value === null || value === undefined) return "—";
  if (type === "number" && typeof value === "number") return fmtNumber(value);
  if (type === "date" && typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return fmtDate(value);
  }
  if (type === "boolean") return value ? "Yes" : "No";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** An error box for an ApiError (its message, and each field detail). */
export function errorBox(error) {
  const details = (error && error.details) || [];
  return h(
    "div",
    { class: "notice error", role: "alert" },
    h("strong", {}, error && error.message ? error.message : String(error)),
    details.length
      ? h("ul", {}, details.map((d) => h("li", {}, h("code", {}, d.field), " ", d.message)))
      : null,
  );
}

/** Show an error (or clear it with null) in a slot element. */
export function showError(slot, error) {
  clear(slot, error ? errorBox(error) : null);
  if (error) slot.scrollIntoView({ block: "nearest" });
}

export function empty(title, text, action) {
  return h("div", { class: "empty" }, h("h3", {}, title), h("p", {}, text), action || null);
}

export function statusBadge(status) {
  return h("span", { class: `badge s-${String(status).toLowerCase()}` }, status);
}

let toastTimer = null;
export function toast(message, kind = "ok") {
  const el = document.getElementById("toast");
  clear(el, message);
  el.className = `toast ${kind} show`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove("show"), 3500);
}

/** A secret shown once, with a copy button. */
export function secretBox(title, secret, note) {
  const input = h("input", { type: "text", value: secret, readonly: true, class: "mono", testid: "secret-value" });
  const copy = h(
    "button",
    {
      type: "button",
      onclick: async () => {
        input.select();
        try {
          await navigator.clipboard.writeText(secret);
          toast("Copied");
        } catch {
          document.execCommand("copy");
        }
      },
    },
    "Copy",
  );
  return h(
    "div",
    { class: "notice secret", role: "status" },
    h("strong", {}, title),
    h("p", {}, note),
    h("div", { class: "row" }, field("Secret", input), copy),
  );
}

export function loading(text = "Loading…") {
  return h("p", { class: "loading", role: "status" }, text);
}
