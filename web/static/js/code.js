// The coding rounds on a practice page (chat and voice): the editor with the task above it,
// "Run" and "Run tests", the output pane (code-output.js), the snapshots of the code on the
// session's websocket and the run cards in the transcript.
//
// Snapshots: `{"type": "code", "code": S}` about 1.5 s after the last edit (only when the
// text changed since the last one sent) and before every run; after a reconnect the unsent
// text goes at once. The text is also kept in this tab's sessionStorage, so a reload before
// a snapshot went out loses nothing.
// A run is `POST /api/sessions/{id}/code/run` (same-origin: the session cookie authorises
// it). The server also stores it and sends a seq'd `code_run` message, which becomes a card
// in the transcript (here as on the replay).
// The editor (vendor/editor.js, CodeMirror) is loaded only on a page with the panel.
import { describeHttpError, formatDuration, h } from "./common.js";
import { createOutput } from "./code-output.js";

export const SNAPSHOT_DELAY_MS = 1500;
export const MAX_CODE = 20000;
const DRAFT_PREFIX = "mockloop.code.";

const byId = (id) => document.getElementById(id);

function loadDraft(sessionId) {
  try {
    const raw = sessionStorage.getItem(DRAFT_PREFIX + sessionId);
    const draft = raw ? JSON.parse(raw) : null;
    return draft && typeof draft.code === "string" ? draft : null;
  } catch {
    return null;
  }
}

function saveDraft(sessionId, draft) {
  try {
    sessionStorage.setItem(DRAFT_PREFIX + sessionId, JSON.stringify(draft));
  } catch {
    // Storage can be disabled; the snapshots on the server still keep the code.
  }
}

// What a run card says when the message carries no summary of its own.
function fallbackSummary(msg) {
  const result = msg.tests_result;
  if (msg.timed_out) return msg.tests ? "Ran the tests: they timed out." : "Ran the code: it timed out.";
  if (msg.tests && result && typeof result === "object") {
    const passed = Number(result.passed) || 0;
    const total = passed + (Number(result.failed) || 0) + (Number(result.errors) || 0);
    return `Ran the tests: ${passed} of ${total} passed.`;
  }
  return `Ran the code: exit code ${msg.exit_code ?? "unknown"}.`;
}

export function runSummary(msg) {
  const summary = typeof msg.summary === "string" ? msg.summary.trim() : "";
  return summary || fallbackSummary(msg);
}

// The state of a run for its card's style: ok, fail or error.
export function runState(msg) {
  const result = msg.tests_result;
  if (msg.timed_out) return "error";
  if (msg.tests && result && typeof result === "object") {
    if ((Number(result.failed) || 0) + (Number(result.errors) || 0) === 0 && Number(result.passed) > 0) return "ok";
    return "fail";
  }
  return Number(msg.exit_code) === 0 ? "ok" : "error";
}

// A `code_run` message as a transcript item (the same look as on the replay).
export function runCardNode(msg) {
  const state = runState(msg);
  const at = typeof msg.at === "number" && Number.isFinite(msg.at) ? formatDuration(msg.at) : "";
  return h(
    "li",
    { class: `msg code-run run-${state} fresh`, dataset: { seq: String(msg.seq ?? "") } },
    h(
      "div",
      { class: "msg-head" },
      h("span", { "aria-hidden": "true" }, state === "ok" ? "✓" : "✗"),
      h("span", { class: "msg-who" }, msg.tests ? "Test run" : "Code run"),
      at ? h("span", {}, at) : null,
    ),
    h("div", { class: "msg-text" }, runSummary(msg)),
  );
}

const RUN_ERRORS = {
  409: "Not run: the round is not taking runs right now (not started yet, already over, or another run is still going).",
  413: `Not run: the code is too long to run (at most ${MAX_CODE.toLocaleString("en")} characters).`,
  429: "Not run: too many runs in a short time. Wait a few seconds, then run again.",
};

function runErrorText(problem) {
  const detail = problem.message ? ` (${problem.message})` : "";
  if (RUN_ERRORS[problem.status]) return `${RUN_ERRORS[problem.status]}${detail}`;
  if (problem.status >= 500) {
    return `Not run: the server failed to run it (HTTP ${problem.status})${detail}. Your code is kept; try again.`;
  }
  return `Not run: the server refused it (HTTP ${problem.status})${detail}.`;
}

// Mounts the coding panel of the page, if it has one. env: {sessionId, status, send(msg) ->
// bool, isOpen() -> bool, list (the transcript <ol>), announce(text)}.
// Returns hooks for interview.js (no-ops on a page without the panel): open() the socket is
// open; ran(msg) a `code_run` message arrived; ended() the round is over.
export function mountCode(env) {
  const panel = byId("code-panel");

  function addCard(msg) {
    const list = env.list;
    if (!list) return;
    const doc = document.documentElement;
    const stick = doc.scrollHeight - (window.scrollY + window.innerHeight) < 200;
    const node = runCardNode(msg);
    // Answers still "sending…" stay last, as in the transcript.
    const pending = list.querySelector(":scope > .pending");
    if (pending) list.insertBefore(node, pending);
    else list.append(node);
    if (stick) window.scrollTo({ top: doc.scrollHeight, behavior: "auto" });
    env.announce(runSummary(msg));
    return node;
  }

  if (!panel) {
    return { open() {}, ran: addCard, ended() {} };
  }

  const sessionId = env.sessionId;
  const runButton = byId("run-button");
  const testButton = byId("test-button");
  const saveNote = byId("code-save");
  const output = createOutput({ box: byId("code-output") });
  const labels = { run: runButton.textContent, test: testButton.textContent };

  // The page carries the starter and the last stored snapshot (none yet: the starter).
  const starter = panel.dataset.starter ?? "";
  const latest = panel.dataset.hasLatest === "yes" ? (panel.dataset.latest ?? "") : null;
  // What the server holds: the last snapshot, or the starter (which needs no snapshot).
  let lastSent = latest ?? starter;
  let initial = lastSent;
  let ended = env.status === "ended";
  const draft = ended ? null : loadDraft(sessionId);
  // Edits made in this tab that never reached the server (the page was reloaded or the
  // connection dropped before the snapshot went): take them back.
  if (draft && draft.sent === lastSent && draft.code !== lastSent) initial = draft.code;

  let running = false;
  let timer = null;
  let ranHere = false;

  let lib = null; // vendor/editor.js once loaded
  let editor = null;
  // Until the editor is there, the text is the page's (nothing can have changed it).
  const text = () => (editor ? lib.getDoc(editor) : initial);

  function note(message) {
    saveNote.textContent = message;
  }

  function onChange(value) {
    saveDraft(sessionId, { code: value, sent: lastSent });
    clearTimeout(timer);
    timer = setTimeout(flush, SNAPSHOT_DELAY_MS);
    const over = value.length > MAX_CODE;
    if (over) note(`Over ${MAX_CODE.toLocaleString("en")} characters: not saved until it is shorter.`);
    else if (saveNote.dataset.over) note("");
    saveNote.dataset.over = over ? "yes" : "";
  }

  // Sends the snapshot if the text changed since the last one; false when it could not go
  // (not connected, too long): it goes with the next edit, run or reconnect.
  function flush() {
    clearTimeout(timer);
    timer = null;
    const current = text();
    if (current === lastSent) return true;
    if (current.length > MAX_CODE) return false;
    if (!env.isOpen() || !env.send({ type: "code", code: current })) return false;
    lastSent = current;
    saveDraft(sessionId, { code: current, sent: lastSent });
    return true;
  }

  function setBusy(busy, tests) {
    running = busy;
    runButton.disabled = busy || ended || !editor;
    testButton.disabled = busy || ended || !editor;
    panel.classList.toggle("is-running", busy);
    runButton.textContent = busy && !tests ? "Running…" : labels.run;
    testButton.textContent = busy && tests ? "Running the tests…" : labels.test;
  }

  async function run(tests) {
    if (running || ended || !editor) return;
    const code = text();
    if (code.length > MAX_CODE) {
      output.failure(RUN_ERRORS[413]);
      return;
    }
    flush();
    setBusy(true, tests);
    output.running(tests);
    try {
      const response = await fetch(`/api/sessions/${encodeURIComponent(sessionId)}/code/run`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ code, tests }),
        credentials: "same-origin",
      });
      if (!response.ok) {
        output.failure(runErrorText(await describeHttpError(response)));
      } else {
        const result = await response.json();
        ranHere = true;
        output.result(result && typeof result === "object" ? result : {}, tests);
      }
    } catch {
      output.failure(
        "Not run: the server could not be reached. Your code stays in the editor; run it again once the connection is back.",
      );
    } finally {
      setBusy(false, tests);
    }
  }

  runButton.addEventListener("click", () => run(false));
  testButton.addEventListener("click", () => run(true));
  // Ctrl/Cmd+Enter anywhere in the panel runs the tests (the editor has its own binding).
  panel.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.defaultPrevented) return;
    event.preventDefault();
    run(true);
  });
  window.addEventListener("pagehide", flush);
  setBusy(false, false);

  import("./vendor/editor.js")
    .then((module) => {
      lib = module;
      editor = lib.createEditor(byId("code-editor"), initial, {
        label: "Your code (solution.py)",
        readOnly: ended,
        onChange,
        keys: { "Mod-Enter": () => run(true) },
      });
      setBusy(false, false);
      // Restored edits that never reached the server go with the next chance.
      if (initial !== lastSent) onChange(initial);
    })
    .catch(() => {
      output.failure("The editor could not be loaded. Reload the page; the code saved so far is kept.");
    });

  return {
    open() {
      if (!ended) flush();
    },
    ran(msg) {
      addCard(msg);
      if (!ranHere) output.previous(runSummary(msg));
    },
    ended() {
      if (ended) return;
      flush();
      ended = true;
      clearTimeout(timer);
      if (editor) lib.setReadOnly(editor, true);
      setBusy(false, false);
      note("The round is over: the editor is read-only.");
    },
  };
}
