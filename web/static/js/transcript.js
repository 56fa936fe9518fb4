// The conversation on a practice page: the lines as the server confirms them, the answers
// sent but not yet echoed (kept last, marked "sending…"), the interviewer's "thinking" line
// and the screen-reader announcements.
import { KIND_ICONS, formatDuration, h, kindLabel } from "./common.js";

function clockLabel(seconds) {
  return typeof seconds === "number" && Number.isFinite(seconds) ? formatDuration(seconds) : "";
}

function interviewerNode(msg) {
  const kind = typeof msg.kind === "string" ? msg.kind : "question";
  const icon = KIND_ICONS[kind];
  const showKind = kind !== "question";
  return h(
    "li",
    {
      class: `msg interviewer kind-${kind.replace(/[^a-z0-9_-]/gi, "")} fresh`,
      dataset: { seq: String(msg.seq), kind },
    },
    h(
      "div",
      { class: "msg-head" },
      icon ? h("span", { "aria-hidden": "true" }, icon) : null,
      h("span", { class: "msg-who" }, "Interviewer"),
      showKind ? h("span", { class: "msg-kind" }, kindLabel(kind)) : null,
    ),
    h("div", { class: "msg-text" }, String(msg.text ?? "")),
  );
}

function candidateNode(text, seq, start) {
  return h(
    "li",
    { class: "msg candidate fresh", dataset: seq ? { seq: String(seq) } : {} },
    h(
      "div",
      { class: "msg-head" },
      h("span", { class: "msg-who" }, "You"),
      start !== undefined ? h("span", {}, clockLabel(start)) : null,
    ),
    h("div", { class: "msg-text" }, text),
  );
}

function divider(seq, className, ...content) {
  return h("li", { class: className, dataset: { seq: String(seq) } }, h("span", {}, ...content));
}

// els: {list, live, typing}
export function createTranscript(els) {
  let pending = []; // [{text, node}]: sent answers the server has not echoed yet, oldest first
  let announceQueue = [];
  let announceTimer = null;

  function nearBottom() {
    const doc = document.documentElement;
    return doc.scrollHeight - (window.scrollY + window.innerHeight) < 200;
  }

  function scrollToEnd() {
    window.scrollTo({ top: document.documentElement.scrollHeight, behavior: "auto" });
  }

  function append(node, { scroll = false } = {}) {
    const stick = scroll || nearBottom();
    // Pending answers stay last until the server confirms them.
    const firstPending = pending.length ? pending[0].node : null;
    if (firstPending && firstPending.isConnected && !node.classList.contains("pending")) {
      els.list.insertBefore(node, firstPending);
    } else {
      els.list.append(node);
    }
    if (stick) scrollToEnd();
  }

  function announce(text) {
    // Messages replayed in a burst (page load, reconnect) are announced as one: the last.
    announceQueue.push(text);
    clearTimeout(announceTimer);
    announceTimer = setTimeout(() => {
      const last = announceQueue[announceQueue.length - 1];
      announceQueue = [];
      els.live.replaceChildren(h("p", {}, last));
    }, 300);
  }

  function dropPending() {
    for (const p of pending) p.node.remove();
    pending = [];
  }

  return {
    announce,
    scrollToEnd,
    thinking(on) {
      els.typing.hidden = !on;
    },
    // The interviewer's line: its node (the voice page adds a Play button to it).
    interviewer(msg) {
      const node = interviewerNode(msg);
      append(node);
      return node;
    },
    candidate(msg) {
      const text = String(msg.text ?? "");
      // The server answers turns in order, so an echo that matches no pending text (the
      // server may normalise whitespace) confirms the oldest one.
      let i = pending.findIndex((p) => p.text === text);
      if (i < 0 && pending.length) i = 0;
      if (i >= 0) {
        pending[i].node.remove();
        pending.splice(i, 1);
      }
      append(candidateNode(text, msg.seq, msg.start));
    },
    // An answer sent but not yet echoed.
    pending(text) {
      const node = candidateNode(text);
      node.classList.add("pending");
      node.querySelector(".msg-head").append(h("span", {}, "sending…"));
      append(node, { scroll: true });
      pending.push({ text, node });
    },
    // The unconfirmed answers (removed from the transcript) as one text, "" when none.
    takePending() {
      const text = pending.map((p) => p.text).join("\n\n");
      dropPending();
      return text;
    },
    dropPending,
    phase(seq, title) {
      append(divider(seq, "msg-divider", "Phase: ", h("strong", {}, title)));
    },
    ended(seq) {
      append(divider(seq, "msg-divider ended", "■ Round ended"));
    },
    error(code, text) {
      append(
        h(
          "li",
          { class: "msg error", role: "alert" },
          h("div", { class: "msg-head" }, h("span", { class: "msg-who" }, "⚠ Error"), h("span", {}, code)),
          h("div", { class: "msg-text" }, text),
        ),
      );
    },
  };
}
