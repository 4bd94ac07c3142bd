// The public API with the signed-in user's token: JSON calls, uploads with progress, the
// run's event stream (SSE read through fetch, since EventSource cannot send a bearer token).

const STORE = "quarry.session";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `The server answered ${status}`);
    this.status = status;
    this.code = (body && body.code) || "HTTP_" + status;
    this.details = (body && body.details) || [];
  }
}

export const session = {
  get() {
    try {
      return JSON.parse(localStorage.getItem(STORE)) || null;
    } catch {
      return null;
    }
  },
  set(value) {
    localStorage.setItem(STORE, JSON.stringify(value));
  },
  clear() {
    localStorage.removeItem(STORE);
  },
};

let refreshing = null;

async function refresh() {
  const current = session.get();
  if (!current || !current.refreshToken) return false;
  refreshing ??= fetch("/api/auth/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refreshToken: current.refreshToken }),
  })
    .then(async (answer) => {
      if (!answer.ok) return false;
      const body = await answer.json();
      session.set({ ...current, accessToken: body.accessToken, refreshToken: body.refreshToken });
      return true;
    })
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

function authHeaders(extra = {}) {
  const current = session.get();
  return current ? { ...extra, Authorization: `Bearer ${current.accessToken}` } : extra;
}

/** fetch() with the token; one refresh-and-retry on 401; throws ApiError on an error answer. */
export async function raw(path, options = {}, retried = false) {
  const answer = await fetch(path, { ...options, headers: authHeaders(options.headers) });
  if (answer.status === 401 && !retried && session.get() && (await refresh())) {
    return raw(path, options, true);
  }
  if (answer.status === 401 && session.get() && !path.startsWith("/api/auth/")) {
    session.clear();
    window.dispatchEvent(new CustomEvent("quarry:signed-out"));
  }
  if (!answer.ok) {
    let body = null;
    try {
      body = await answer.json();
    } catch {
      body = null;
    }
    throw new ApiError(answer.status, body);
  }
  return answer;
}

export async function call(method, path, body) {
  const options = { method, headers: {} };
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    options.body = JSON.stringify(body);
    options.headers["Content-Type"] = "application/json";
  }
  const answer = await raw(path, options);
  if (answer.status === 204) return null;
  return answer.json();
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body ?? {});
export const patch = (path, body) => call("PATCH", path, body);
export const del = (path) => call("DELETE", path);

/** Every page of a paged list, up to `max` items. */
export async function all(path, max = 1000) {
  const items = [];
  const sep = path.includes("?") ? "&" : "?";
  for (let page = 1; ; page++) {
    const answer = await get(`${path}${sep}page=${page}&limit=100`);
    items.push(...answer.data);
    if (page >= answer.totalPages || items.length >= max) return items;
  }
}

/** POST a FormData with upload progress (XMLHttpRequest can report it, fetch cannot). */
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    const current = session.get();
    if (current) xhr.setRequestHeader("Authorization", `Bearer ${current.accessToken}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded, e.total);
    xhr.onerror = () => reject(new ApiError(0, { message: "The upload was interrupted" }));
    xhr.onload = () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body));
    };
    xhr.send(form);
  });
}

/** Follow `/api/job-runs/:id/stream` from event `after`; calls onEvent({id, type, data}).
 *  Reconnects with Last-Event-ID until the server ends the stream after the final event.
 *  Returns a function that stops it. */
export function followRun(runId, onEvent, onEnd) {
  const controller = new AbortController();
  let last = 0;
  async function once() {
    const headers = last ? { "Last-Event-ID": String(last) } : {};
    const answer = await raw(`/api/job-runs/${encodeURIComponent(runId)}/stream`, {
      headers,
      signal: controller.signal,
    });
    const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const event = parseEvent(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
        if (event) {
          if (event.id) last = Number(event.id);
          onEvent(event);
        }
      }
    }
  }
  (async () => {
    let failures = 0;
    while (!controller.signal.aborted) {
      try {
        await once();
        break; // the server ends the stream once the run has finished
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status && error.status < 500) break;
        failures += 1;
        await new Promise((r) => setTimeout(r, Math.min(10000, 1000 * failures)));
      }
    }
    if (!controller.signal.aborted && onEnd) onEnd();
  })();
  return () => controller.abort();
}

function parseEvent(block) {
  const event = { id: null, type: "message", data: "" };
  let any = false;
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const key = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (key === "id") event.id = value;
    else if (key === "event") event.type = value;
    else if (key === "data") {
      event.data += (event.data ? "\n" : "") + value;
      any = true;
    }
  }
  if (!any) return null;
  try {
    event.data = JSON.parse(event.data);
  } catch {
    /* keep the text */
  }
  return event;
}

/** A blob URL of an authenticated image (an <img> cannot send the bearer token). */
export async function imageUrl(path) {
  const answer = await raw(path);
  return URL.createObjectURL(await answer.blob());
}

/** Download an authenticated file under `name`. */
export async function download(path, name) {
  const answer = await raw(path);
  saveBlob(await answer.blob(), name);
}

export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
