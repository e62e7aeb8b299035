// Calls to the BodyCam API through this gateway, with the signed-in person's token. Errors are the
// API's problem details, kept whole so screens can show the explanation the server gave.
let accessToken = null;
let onSignedOut = () => {};

export function useToken(token, signedOut) {
  accessToken = token;
  onSignedOut = signedOut;
}

export class Problem extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export async function api(path, { method = "GET", body, raw = false, headers: extra = {} } = {}) {
  const headers = { ...extra, Authorization: `Bearer ${accessToken}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) {
    onSignedOut("Your session has ended. Sign in again.");
    throw new Problem(401, { title: "Signed out" });
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({ title: response.statusText }));
    throw new Problem(response.status, problem);
  }
  if (raw) return response;
  return response.status === 204 || response.headers.get("content-length") === "0" ? null : response.json();
}

export function bearer() {
  return accessToken;
}

let toastTimer;
export function say(message) {
  const toast = document.getElementById("toast");
  toast.textContent = message;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.textContent = ""; }, 6000);
}

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export const time = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "-");
export const dateTime = (iso) => (iso ? new Date(iso).toLocaleString() : "-");

/** Runs fn now and every ms while the screen is shown; returns a stop function. */
export function every(ms, fn) {
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    try { await fn(); } catch (e) { if (!(e instanceof Problem && e.status === 401)) say(e.message); }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  let timer = setTimeout(tick, 0);
  return () => { stopped = true; clearTimeout(timer); };
}

/**
 * A screen that refreshes every ms while shown: its shown and hidden hooks, and its refresh for
 * after an action. Refreshes run one at a time: one asked for while another is on its way runs
 * after it, so an answer read before an action never lands after the answer read since.
 */
export function polled(ms, load) {
  const refresh = oneAtATime(load);
  let stop = null;
  return {
    shown: () => { stop = every(ms, refresh); },
    hidden: () => stop?.(),
    refresh,
  };
}

/** fn, run at most once at a time: calls while it runs share one more run after it. */
export function oneAtATime(fn) {
  let running = null;
  let next = null;
  const call = () => {
    if (!running) {
      running = fn().finally(() => { running = null; });
      return running;
    }
    next ??= running.catch(() => {}).then(() => {
      next = null;
      return call();
    });
    return next;
  };
  return call;
}

/**
 * Replaces a refreshed list's items without taking anything from the person using it: what they
 * have typed into its fields, and the element they were on, carry over to the new items (matched
 * by id). A list that refreshes every few seconds must not wipe a half-written note, nor throw a
 * keyboard user off the row they were on.
 */
export function refill(container, children) {
  const typed = [...container.querySelectorAll("input[id], textarea[id]")].filter((f) => f.value).map((f) => [f.id, f.value]);
  const active = document.activeElement;
  const focusedId = active && active.id && container.contains(active) ? active.id : "";
  const selection = focusedId && typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd] : null;
  container.replaceChildren(...children);
  const find = (id) => container.querySelector(`#${CSS.escape(id)}`);
  for (const [id, value] of typed) {
    const field = find(id);
    if (field) field.value = value;
  }
  const again = focusedId ? find(focusedId) : null;
  if (again) {
    again.focus({ preventScroll: true });
    if (selection) again.setSelectionRange(...selection);
  }
}
