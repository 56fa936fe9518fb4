// Shared helpers for the mockloop pages. Plain ES modules, no build step, no network
// access beyond this server.

export const ROUND_LABELS = Object.freeze({
  recruiter_screen: "Recruiter screen",
  coding: "Technical phone screen",
  ml_ops: "ML operations",
  hiring_manager: "Hiring manager",
  culture: "Values & culture",
  system_design: "ML system design",
  deep_dive: "Technical deep dive",
  behavioral: "Behavioral",
  ml_theory: "ML theory",
});

// What each interviewer `kind` is called on screen. Unknown kinds (the protocol may add
// some) fall back to a readable form of the raw name.
export const KIND_LABELS = Object.freeze({
  question: "Question",
  follow_up: "Follow-up",
  pushback: "Pushback",
  constraint: "New constraint",
  nudge: "Nudge",
  time_check: "Time check",
  closing: "Closing",
  answer: "Answer",
  repeat: "Repeat",
  clarify: "Clarification",
  hint: "Hint",
  ack: "Pause",
  challenge: "Challenge",
  correction: "Correction",
});

export const KIND_ICONS = Object.freeze({
  pushback: "⇄",
  constraint: "⚠",
  nudge: "›",
  time_check: "⏱",
  closing: "■",
  challenge: "⇄",
  correction: "✗",
});

export function kindLabel(kind) {
  if (Object.hasOwn(KIND_LABELS, kind)) return KIND_LABELS[kind];
  const text = String(kind || "").replace(/_/g, " ");
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : "";
}

// The session token lives in sessionStorage (per tab, gone when the tab closes), keyed by
// session id: the websocket `hello` needs it, and it must never go into a URL.
const SESSION_KEY_PREFIX = "mockloop.session.";

export function saveSession(id, record) {
  try {
    sessionStorage.setItem(SESSION_KEY_PREFIX + id, JSON.stringify(record));
  } catch {
    // Storage can be disabled (private mode, policies); the cookie still authorises.
  }
}

export function loadSession(id) {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY_PREFIX + id);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

// Small DOM builder: text always goes through textContent, never parsed as markup.
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function formatDuration(totalSeconds) {
  const s = Math.max(0, Math.ceil(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const mm = hours ? String(minutes).padStart(2, "0") : String(minutes);
  const ss = String(seconds).padStart(2, "0");
  return hours ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

// Turns a failed API answer into a message a person can act on. The server answers
// errors as {"error": {"code", "message"}}; FastAPI's own 422 uses {"detail": [...]}.
export async function describeHttpError(response) {
  let code = "";
  let message = "";
  try {
    const body = await response.json();
    if (body && body.error) {
      code = String(body.error.code || "");
      message = String(body.error.message || "");
    } else if (body && Array.isArray(body.detail)) {
      message = body.detail
        .map((d) => {
          const where = Array.isArray(d.loc) ? d.loc.filter((p) => p !== "body").join(".") : "";
          return where ? `${where}: ${d.msg}` : String(d.msg);
        })
        .join("; ");
    } else if (body && typeof body.detail === "string") {
      message = body.detail;
    }
  } catch {
    // Not JSON (a proxy page, say): fall back to the status line.
  }
  return { status: response.status, code, message: message || response.statusText || "" };
}
