// The replay page: seek and follow the recording, highlight evidence, save the
// self-assessment and notes, delete the session. The page itself is rendered on the
// server; this script only adds behaviour. Every request is same-origin JSON with the
// session cookie (never a token in a URL).
import { describeHttpError } from "./common.js";

const root = document.getElementById("replay");
const sessionId = root ? root.dataset.sessionId : "";
const api = `/api/sessions/${encodeURIComponent(sessionId)}`;

async function sendJson(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!response.ok) {
    const problem = await describeHttpError(response);
    throw new Error(problem.message || `HTTP ${problem.status}`);
  }
  return response.status === 204 ? null : response.json();
}

// ------------------------------------------------------------------ local dates

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
for (const node of document.querySelectorAll("time.local-time")) {
  const when = new Date(node.dateTime);
  if (!Number.isNaN(when.getTime())) {
    node.textContent = dateFormat.format(when);
    node.title = when.toISOString();
  }
}

// ------------------------------------------------------------------ code (coding rounds)

// The code as it was at each moment: the snapshots ({at, code}, in session seconds) from the
// page, shown read-only for the transcript line last clicked, focused or reached by the
// audio (the last snapshot at or before the line's data-at). Before any snapshot: the
// first one's text is not known yet, so the editor says so.
const codeViewer = (() => {
  const box = document.getElementById("replay-editor");
  const data = document.getElementById("code-snapshots");
  if (!box || !data) return null;
  let snapshots = [];
  try {
    snapshots = JSON.parse(data.textContent || "[]")
      .filter((s) => s && typeof s.code === "string" && Number.isFinite(Number(s.at)))
      .map((s) => ({ at: Number(s.at), code: s.code }))
      .sort((a, b) => a.at - b.at);
  } catch {
    snapshots = [];
  }
  if (!snapshots.length) return null;
  const when = document.getElementById("code-when");
  const prev = document.getElementById("code-prev");
  const next = document.getElementById("code-next");
  const last = document.getElementById("code-last");
  let lib = null;
  let view = null;
  let index = snapshots.length - 1;
  let activeLine = null;

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function render() {
    if (index < 0) {
      when.textContent = "Before the first edit";
      if (view) lib.setDoc(view, "");
    } else {
      const snap = snapshots[index];
      when.textContent = `At ${clock(snap.at)} · version ${index + 1} of ${snapshots.length}`;
      if (view) lib.setDoc(view, snap.code);
    }
    prev.disabled = index <= 0;
    next.disabled = index >= snapshots.length - 1;
    last.disabled = index === snapshots.length - 1;
  }

  function show(i) {
    index = Math.max(-1, Math.min(snapshots.length - 1, i));
    render();
  }

  // The last snapshot at or before `at` (-1: none yet).
  function indexAt(at) {
    let lo = 0;
    let hi = snapshots.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (snapshots[mid].at <= at + 1e-6) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  function markLine(line) {
    if (activeLine) activeLine.classList.remove("code-shown");
    activeLine = line;
    if (line) line.classList.add("code-shown");
  }

  prev.addEventListener("click", () => {
    markLine(null);
    show(index - 1);
  });
  next.addEventListener("click", () => {
    markLine(null);
    show(index + 1);
  });
  last.addEventListener("click", () => {
    markLine(null);
    show(snapshots.length - 1);
  });
  render();
  import("./vendor/editor.js")
    .then((module) => {
      lib = module;
      view = lib.createEditor(box, "", { readOnly: true, label: "The code at the selected moment" });
      render();
    })
    .catch(() => {
      box.textContent = "The code viewer could not be loaded.";
    });

  return {
    // Shows the code as it was at the transcript line `line` (an element with data-at).
    showFor(line) {
      if (!line || line === activeLine) return;
      const at = Number(line.dataset.at);
      if (!Number.isFinite(at)) return;
      markLine(line);
      show(indexAt(at));
    },
  };
})();

const transcriptList = document.getElementById("transcript");
if (codeViewer && transcriptList) {
  const lineOf = (target) => (target instanceof Element ? target.closest("li[data-at]") : null);
  transcriptList.addEventListener("click", (event) => codeViewer.showFor(lineOf(event.target)));
  transcriptList.addEventListener("focusin", (event) => codeViewer.showFor(lineOf(event.target)));
}

// ------------------------------------------------------------------ player

const audio = document.getElementById("replay-audio");
const follow = document.getElementById("follow");
const transcript = document.getElementById("transcript");

if (audio && transcript) {
  // Lines and words in time order, read once from the server-rendered data attributes.
  const lines = Array.from(transcript.querySelectorAll(".msg[data-start]"))
    .map((node) => ({ node, start: Number(node.dataset.start) }))
    .filter((l) => Number.isFinite(l.start))
    .sort((a, b) => a.start - b.start);
  const words = Array.from(transcript.querySelectorAll(".w[data-s]"))
    .map((node) => ({ node, start: Number(node.dataset.s), end: Number(node.dataset.e) }))
    .filter((w) => Number.isFinite(w.start) && Number.isFinite(w.end))
    .sort((a, b) => a.start - b.start);

  let currentLine = null;
  let currentWord = null;
  let frame = 0;

  // The last item starting at or before t (binary search: sessions can be long).
  function lastAtOrBefore(items, t) {
    let lo = 0;
    let hi = items.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid].start <= t) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  function highlight() {
    const t = audio.currentTime + 0.02;
    const li = lastAtOrBefore(lines, t);
    const line = li >= 0 ? lines[li].node : null;
    if (line !== currentLine) {
      if (currentLine) {
        currentLine.classList.remove("current");
        currentLine.removeAttribute("aria-current");
      }
      currentLine = line;
      if (line) {
        line.classList.add("current");
        line.setAttribute("aria-current", "true");
        if (codeViewer) codeViewer.showFor(line);
        if (follow && follow.checked && !audio.paused) {
          line.scrollIntoView({ block: "nearest", behavior: "smooth" });
        }
      }
    }
    const wi = lastAtOrBefore(words, t);
    // A word stays lit through the short gap after it, not through a long pause.
    const word = wi >= 0 && t <= words[wi].end + 0.35 ? words[wi].node : null;
    if (word !== currentWord) {
      if (currentWord) currentWord.classList.remove("current-word");
      currentWord = word;
      if (word) word.classList.add("current-word");
    }
  }

  function tick() {
    highlight();
    frame = audio.paused ? 0 : requestAnimationFrame(tick);
  }

  function seek(seconds, play) {
    if (!Number.isFinite(seconds)) return;
    audio.currentTime = Math.max(0, seconds);
    highlight();
    if (play) {
      audio.play().catch(() => {
        // Autoplay refused or the file is still loading: the position is set anyway.
      });
    }
  }

  audio.addEventListener("play", () => {
    if (!frame) frame = requestAnimationFrame(tick);
  });
  audio.addEventListener("seeked", highlight);
  audio.addEventListener("timeupdate", highlight);
  audio.addEventListener("pause", highlight);

  transcript.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    // Notes, links and their controls keep their own behaviour.
    if (target.closest(".turn-note, a, textarea, input, summary")) return;
    const word = target.closest(".w[data-s]");
    if (word) {
      seek(Number(word.dataset.s), true);
      return;
    }
    const button = target.closest("button.seek");
    if (button) {
      seek(Number(button.dataset.t), true);
      return;
    }
    const line = target.closest(".msg[data-start]");
    if (line && window.getSelection().toString() === "") seek(Number(line.dataset.start), true);
  });
}

// ------------------------------------------------------------------ evidence

function showEvidence(key) {
  for (const node of document.querySelectorAll(".ev-active")) node.classList.remove("ev-active");
  if (key === "" || key === undefined) return;
  for (const node of document.querySelectorAll(`[data-ev~="${CSS.escape(key)}"]`)) {
    if (!node.classList.contains("evidence-link")) node.classList.add("ev-active");
  }
}

for (const link of document.querySelectorAll("a.evidence-link")) {
  link.addEventListener("click", () => {
    showEvidence(link.dataset.ev);
    // Evidence from a run or an answer in a coding round: its code, too.
    if (codeViewer && link.dataset.seq) {
      codeViewer.showFor(document.querySelector(`#transcript li[data-seq="${CSS.escape(link.dataset.seq)}"]`));
    }
  });
}

// ------------------------------------------------------------------ self-assessment

const selfForm = document.getElementById("self-form");
if (selfForm) {
  const status = document.getElementById("self-status");
  const errorBox = document.getElementById("self-error");
  const revealed = root.dataset.revealed === "yes";
  const submitButton = document.getElementById("submit-scores");
  const revealButton = document.getElementById("reveal-button");

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    errorBox.focus();
  }

  function collect() {
    const levels = {};
    const notes = {};
    const missing = [];
    for (const box of selfForm.querySelectorAll("fieldset.criterion")) {
      const id = box.dataset.criterion;
      const picked = box.querySelector('input[type="radio"]:checked');
      if (picked) levels[id] = Number(picked.value);
      else missing.push(box.querySelector("legend").textContent.trim());
      const note = box.querySelector("textarea.cnote");
      if (note) notes[id] = note.value;
    }
    return { levels, notes, missing };
  }

  selfForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    const { levels, notes, missing } = collect();
    if (missing.length && !revealed) {
      showError(`Score every criterion first (missing: ${missing.join(", ")}), or choose "Show without scoring".`);
      return;
    }
    submitButton.disabled = true;
    status.textContent = "Saving…";
    try {
      await sendJson("PUT", `${api}/review`, { levels, notes, submit: missing.length === 0 });
      status.textContent = "Saved.";
      // The server renders the automatic levels beside yours.
      window.location.reload();
    } catch (error) {
      status.textContent = "";
      showError(`Not saved: ${error.message}`);
      submitButton.disabled = false;
    }
  });

  if (revealButton) {
    revealButton.addEventListener("click", async () => {
      errorBox.hidden = true;
      revealButton.disabled = true;
      try {
        const { levels, notes } = collect();
        // Keep whatever was already picked or written, without submitting it.
        if (Object.keys(levels).length || Object.values(notes).some((n) => n.trim())) {
          await sendJson("PUT", `${api}/review`, { levels, notes, submit: false });
        }
        await sendJson("POST", `${api}/review/reveal`, {});
        window.location.reload();
      } catch (error) {
        showError(`Could not show the levels: ${error.message}`);
        revealButton.disabled = false;
      }
    });
  }
}

// ------------------------------------------------------------------ notes

for (const form of document.querySelectorAll("form.note-form")) {
  const status = form.querySelector(".save-status");
  const box = form.querySelector("textarea");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "Saving…";
    try {
      await sendJson("PUT", `${api}/notes/${encodeURIComponent(form.dataset.target)}`, {
        text: box.value,
      });
      status.textContent = "Saved.";
    } catch (error) {
      status.textContent = `Not saved: ${error.message}`;
    }
  });
  box.addEventListener("input", () => {
    status.textContent = "";
  });
}

// ------------------------------------------------------------------ delete

const deleteButton = document.getElementById("delete-button");
const deleteDialog = document.getElementById("delete-dialog");
if (deleteButton && deleteDialog) {
  const deleteError = document.getElementById("delete-error");
  deleteButton.addEventListener("click", () => {
    deleteError.hidden = true;
    deleteDialog.showModal();
  });
  deleteDialog.addEventListener("close", async () => {
    if (deleteDialog.returnValue !== "delete") return;
    try {
      const response = await fetch(api, { method: "DELETE", credentials: "same-origin" });
      if (response.status !== 204 && response.status !== 404) {
        const problem = await describeHttpError(response);
        throw new Error(problem.message || `HTTP ${problem.status}`);
      }
      window.location.assign("/sessions");
    } catch (error) {
      deleteError.textContent = `Not deleted: ${error.message}`;
      deleteError.hidden = false;
      deleteDialog.showModal();
    }
  });
}
