// The interview on a practice page (chat and voice): one websocket per page, the
// transcript rebuilt from seq'd messages, the typed-answer box, the clock and ending.
// The chat page is this alone (practice.js); the voice page (voice.js) adds the
// microphone and the interviewer's voice through the hooks of `createInterview`.
//
// Resumption works the way the wire contract promises: every session message carries a
// seq, the client remembers the highest one it has shown, and after any drop it says
// `hello` with that seq so the server sends only what was missed. Anything with a seq at
// or below the last one seen is a duplicate and is dropped, so nothing shows twice.
import { KIND_ICONS, formatDuration, h, kindLabel, loadSession } from "./common.js";

// hooks (all optional):
//   open(ws)                  the socket is open and hello was sent
//   close()                   the socket closed (a reconnect may follow)
//   message(msg) -> bool      every message after the seq check; true: handled, skip the default
//   interviewer(node, msg)    an interviewer line was added to the transcript
//   ended(msg)                the round is over
// options: autoConnect (default true): connect at once, or wait for `connect()`.
export function createInterview(hooks = {}, { autoConnect = true } = {}) {
  const root = document.getElementById("practice");
  const sessionId = root.dataset.sessionId;
  const stored = loadSession(sessionId) || {};

  const els = {
    transcript: document.getElementById("transcript"),
    live: document.getElementById("live"),
    typing: document.getElementById("typing"),
    banner: document.getElementById("conn-banner"),
    bannerText: document.getElementById("conn-text"),
    bannerIcon: document.querySelector("#conn-banner .banner-icon"),
    retry: document.getElementById("retry-button"),
    form: document.getElementById("answer-form"),
    answer: document.getElementById("answer"),
    send: document.getElementById("send-button"),
    endButton: document.getElementById("end-button"),
    endDialog: document.getElementById("end-dialog"),
    endedPanel: document.getElementById("ended-panel"),
    endedReason: document.getElementById("ended-reason"),
    replayLink: document.getElementById("replay-link"),
    phaseBox: document.getElementById("phase-box"),
    phaseLeftBox: document.getElementById("phase-left-box"),
    phaseName: document.getElementById("phase-name"),
    phaseLeft: document.getElementById("phase-left"),
    roundLeft: document.getElementById("round-left"),
    roundLeftLabel: document.getElementById("round-left-label"),
    drillBadge: document.getElementById("drill-badge"),
    drillScale: document.getElementById("drill-scale"),
  };

  // Codes after which reconnecting cannot help: the tab is not allowed in, or the session
  // is gone.
  const FATAL_CODES = new Set(["unauthorized", "forbidden", "not_found", "unknown_session", "deleted"]);
  const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
  const BACKOFF_MAX_MS = 10000;

  const state = {
    token: typeof stored.token === "string" ? stored.token : "",
    begun: false, // connect() was called (the first hello starts the session's clock)
    lastSeq: 0,
    ws: null,
    attempt: 0,
    everOpened: false,
    wasLive: false,
    ended: false,
    fatal: false,
    retryAt: 0,
    retryTimer: null,
    bannerTimer: null,
    pending: [], // [{text, node}]: sent answers the server has not echoed yet, oldest first
    restored: "", // an unconfirmed answer put back in the box after a drop
    lastError: null,
    // Clock: wall seconds since the session started are measured against performance.now()
    // so that a skewed client clock does not matter.
    startMs: null,
    minutes: numberOrNull(root.dataset.minutes) ?? numberOrNull(stored.minutes),
    timeScale: numberOrNull(root.dataset.timeScale) ?? numberOrNull(stored.time_scale) ?? 1,
    phase: null, // {title, until}
    announceQueue: [],
    announceTimer: null,
  };

  function numberOrNull(value) {
    if (value === undefined || value === null || value === "") return null;
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }

  {
    // A live session's page carries the seconds since it started; a new one starts its
    // clock when the first hello is answered (see the open handler).
    const elapsed = numberOrNull(root.dataset.elapsed);
    if (elapsed !== null) state.startMs = performance.now() - elapsed * 1000;
  }

  // ---------------------------------------------------------------- banner

  function setBanner(kind, text, { retry = false, autoHideMs = 0, countdown = false } = {}) {
    clearTimeout(state.bannerTimer);
    if (!kind) {
      els.banner.hidden = true;
      return;
    }
    const icons = { connecting: "…", reconnecting: "↻", gone: "✕", back: "✓", fatal: "✕" };
    els.banner.dataset.state = kind === "fatal" ? "gone" : kind;
    els.bannerIcon.textContent = icons[kind] || "";
    els.bannerText.textContent = text;
    if (countdown) {
      // Updated by the clock every second; hidden from screen readers, which would
      // otherwise announce every change of the number.
      els.bannerText.append(" ", h("span", { class: "countdown", "aria-hidden": "true" }, retryText()));
    }
    els.retry.hidden = !retry;
    els.banner.hidden = false;
    if (autoHideMs) {
      state.bannerTimer = setTimeout(() => {
        els.banner.hidden = true;
      }, autoHideMs);
    }
  }

  function retryText() {
    if (state.ws) return "Connecting…";
    const seconds = Math.max(0, Math.ceil((state.retryAt - performance.now()) / 1000));
    return seconds > 0 ? `Retrying in ${seconds} s.` : "Retrying now…";
  }

  function showWaitingBanner() {
    if (state.ended || state.fatal) return;
    if (state.attempt <= 1 && state.everOpened) {
      setBanner("reconnecting", "Connection lost. Reconnecting…", { retry: true, countdown: true });
    } else {
      setBanner(
        "gone",
        "The mockloop server is not reachable (is it still running?). Everything said so far is saved.",
        { retry: true, countdown: true },
      );
    }
  }

  // ---------------------------------------------------------------- transcript

  function nearBottom() {
    const doc = document.documentElement;
    return doc.scrollHeight - (window.scrollY + window.innerHeight) < 200;
  }

  function append(node, { scroll = false } = {}) {
    const stick = scroll || nearBottom();
    // Pending answers stay last until the server confirms them.
    const firstPending = state.pending.length ? state.pending[0].node : null;
    if (firstPending && firstPending.isConnected && !node.classList.contains("pending")) {
      els.transcript.insertBefore(node, firstPending);
    } else {
      els.transcript.append(node);
    }
    if (stick) {
      window.scrollTo({ top: document.documentElement.scrollHeight, behavior: "auto" });
    }
  }

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
    const node = h(
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
    return node;
  }

  function announce(text) {
    // Messages replayed in a burst (page load, reconnect) are announced as one: the last.
    state.announceQueue.push(text);
    clearTimeout(state.announceTimer);
    state.announceTimer = setTimeout(() => {
      const last = state.announceQueue[state.announceQueue.length - 1];
      state.announceQueue = [];
      els.live.replaceChildren(h("p", {}, last));
    }, 300);
  }

  // ---------------------------------------------------------------- messages

  function onInterviewer(msg) {
    const node = interviewerNode(msg);
    append(node);
    if (hooks.interviewer) hooks.interviewer(node, msg);
    els.typing.hidden = true;
    const kind = typeof msg.kind === "string" && msg.kind !== "question" ? `${kindLabel(msg.kind)}: ` : "";
    announce(`Interviewer. ${kind}${msg.text ?? ""}`);
  }

  function onCandidate(msg) {
    const text = String(msg.text ?? "");
    // The server answers turns in order, so an echo that matches no pending text (the
    // server may normalise whitespace) confirms the oldest one.
    let i = state.pending.findIndex((p) => p.text === text);
    if (i < 0 && state.pending.length) i = 0;
    if (i >= 0) {
      state.pending[i].node.remove();
      state.pending.splice(i, 1);
    }
    // An answer put back in the box after a drop did reach the server after all.
    if (state.restored && state.restored === text && els.answer.value === text) {
      els.answer.value = "";
    }
    if (state.restored === text) state.restored = "";
    append(candidateNode(text, msg.seq, msg.start));
  }

  function onPhase(msg) {
    const until = numberOrNull(msg.until);
    state.phase = { title: String(msg.title || msg.phase || ""), until };
    const scale = numberOrNull(msg.time_scale);
    if (scale !== null && scale > 0) setTimeScale(scale);
    append(
      h(
        "li",
        { class: "msg-divider", dataset: { seq: String(msg.seq) } },
        h("span", {}, "Phase: ", h("strong", {}, state.phase.title)),
      ),
    );
    announce(`New phase: ${state.phase.title}`);
    tick();
  }

  const END_REASONS = {
    completed: "The interviewer has finished the script.",
    time: "Time is up.",
    left: "You ended the round.",
  };

  function onEnded(msg) {
    state.ended = true;
    state.phase = null;
    const reason = String(msg.reason || "");
    append(
      h(
        "li",
        { class: "msg-divider ended", dataset: { seq: String(msg.seq) } },
        h("span", {}, "■ Round ended"),
      ),
    );
    els.endedReason.textContent = END_REASONS[reason] || (reason ? `Reason: ${reason}.` : "");
    const replay = typeof msg.replay === "string" ? msg.replay : "";
    // Only same-origin paths: the link must not lead anywhere else.
    if (replay.startsWith("/") && !replay.startsWith("//")) els.replayLink.href = replay;
    els.endedPanel.hidden = false;
    els.form.hidden = true;
    els.endButton.hidden = true;
    els.typing.hidden = true;
    setBanner(null);
    for (const p of state.pending) p.node.remove();
    state.pending = [];
    announce(`The round is over. ${els.endedReason.textContent}`);
    els.endedPanel.focus({ preventScroll: true });
    window.scrollTo({ top: document.documentElement.scrollHeight, behavior: "auto" });
    document.title = `Ended · ${document.title}`;
    tick();
    if (state.ws) state.ws.close(1000, "ended");
    if (hooks.ended) hooks.ended(msg);
  }

  function onError(msg) {
    const code = String(msg.code || "error");
    const text = String(msg.message || "Something went wrong.");
    state.lastError = code;
    if (FATAL_CODES.has(code)) {
      state.fatal = true;
      setBanner(
        "fatal",
        code === "unauthorized" || code === "forbidden"
          ? "This tab is not authorised for this session. Open it from the browser that started it, or start a new interview."
          : `This session cannot be continued: ${text}`,
      );
      els.send.disabled = true;
      els.endButton.disabled = true;
    }
    append(
      h(
        "li",
        { class: "msg error", role: "alert" },
        h("div", { class: "msg-head" }, h("span", { class: "msg-who" }, "⚠ Error"), h("span", {}, code)),
        h("div", { class: "msg-text" }, text),
      ),
    );
  }

  function onState(msg) {
    els.typing.hidden = msg.value !== "thinking";
  }

  function onMessage(event) {
    if (typeof event.data !== "string") return; // chat mode ignores binary frames
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!msg || typeof msg !== "object") return;
    if (typeof msg.seq === "number") {
      if (msg.seq <= state.lastSeq) return;
      state.lastSeq = msg.seq;
    }
    if (hooks.message && hooks.message(msg) === true) return;
    switch (msg.type) {
      case "interviewer":
        onInterviewer(msg);
        break;
      case "candidate":
        onCandidate(msg);
        break;
      case "phase":
        onPhase(msg);
        break;
      case "ended":
        onEnded(msg);
        break;
      case "error":
        onError(msg);
        break;
      case "state":
        onState(msg);
        break;
      default:
        // Types this page does not know (partial, future additions) are ignored.
        break;
    }
  }

  // ---------------------------------------------------------------- connection

  function wsUrl() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${window.location.host}/ws/sessions/${encodeURIComponent(sessionId)}`;
  }

  function connect() {
    clearTimeout(state.retryTimer);
    state.retryTimer = null;
    if (state.ended || state.fatal) return;
    if (state.ws && state.ws.readyState <= WebSocket.OPEN) return;
    let ws;
    try {
      ws = new WebSocket(wsUrl());
    } catch {
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    let opened = false;
    ws.addEventListener("open", () => {
      opened = true;
      if (state.startMs === null && root.dataset.status !== "ended") state.startMs = performance.now();
      // Without a token in this tab (a resumed session opened from the list), null lets the
      // server fall back to the session's HttpOnly cookie, which the handshake carried.
      ws.send(JSON.stringify({ type: "hello", token: state.token || null, last_seq: state.lastSeq }));
      const recovering = state.everOpened;
      state.everOpened = true;
      state.attempt = 0;
      state.wasLive = true;
      els.send.disabled = false;
      if (recovering) {
        setBanner("back", "Reconnected: the interview continues where it left off.", { autoHideMs: 4000 });
      } else {
        setBanner(null);
      }
      if (hooks.open) hooks.open(ws);
    });
    ws.addEventListener("message", onMessage);
    ws.addEventListener("close", (event) => {
      if (state.ws === ws) state.ws = null;
      if (hooks.close) hooks.close();
      if (state.ended || state.fatal) return;
      if (event.code === 1008 && FATAL_CODES.has(state.lastError)) return;
      if (opened) returnPendingAnswer();
      scheduleReconnect();
    });
  }

  function returnPendingAnswer() {
    // The server may or may not have received it: put it back so nothing typed is lost; if
    // the replay after reconnecting contains it, onCandidate clears the box again.
    if (!state.pending.length) return;
    const text = state.pending.map((p) => p.text).join("\n\n");
    for (const p of state.pending) p.node.remove();
    state.pending = [];
    if (els.answer.value.trim() === "") {
      els.answer.value = text;
      state.restored = text;
    }
  }

  function scheduleReconnect() {
    if (state.ended || state.fatal) return;
    const base = state.attempt < BACKOFF_MS.length ? BACKOFF_MS[state.attempt] : BACKOFF_MAX_MS;
    const delay = Math.round(base * (1 + Math.random() * 0.3));
    state.attempt += 1;
    state.retryAt = performance.now() + delay;
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(connect, delay);
    showWaitingBanner();
  }

  function retryNow() {
    if (!state.begun || state.ended || state.fatal || state.ws) return;
    state.retryAt = performance.now();
    connect();
  }

  els.retry.addEventListener("click", retryNow);
  window.addEventListener("online", retryNow);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") retryNow();
  });

  function disconnectedKind() {
    // Keep saying "gone" while the server is gone; otherwise the softer state.
    if (!els.banner.hidden && els.banner.dataset.state === "gone") return "gone";
    return state.everOpened ? "reconnecting" : "connecting";
  }

  function isOpen() {
    return state.ws !== null && state.ws.readyState === WebSocket.OPEN;
  }

  // ---------------------------------------------------------------- answering

  function sendAnswer() {
    if (state.ended) return;
    const text = els.answer.value.trim();
    if (!text) {
      els.answer.focus();
      return;
    }
    if (!isOpen()) {
      setBanner(
        disconnectedKind(),
        "Not connected right now. Your answer stays in the box: send it again once the connection is back.",
        { retry: true, countdown: true },
      );
      return;
    }
    state.ws.send(JSON.stringify({ type: "say", text }));
    const node = candidateNode(text);
    node.classList.add("pending");
    node.querySelector(".msg-head").append(h("span", {}, "sending…"));
    append(node, { scroll: true });
    state.pending.push({ text, node });
    state.restored = "";
    els.answer.value = "";
    els.answer.focus();
  }

  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    sendAnswer();
  });

  els.answer.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.isComposing) {
      event.preventDefault();
      sendAnswer();
    }
  });

  els.endButton.addEventListener("click", () => {
    if (state.ended) return;
    if (typeof els.endDialog.showModal === "function") {
      els.endDialog.returnValue = "";
      els.endDialog.showModal();
    } else if (window.confirm("End the round now? This cannot be undone.")) {
      sendEnd();
    }
  });

  els.endDialog.addEventListener("close", () => {
    if (els.endDialog.returnValue === "end") sendEnd();
  });

  function sendEnd() {
    if (state.ended) return;
    if (!isOpen()) {
      setBanner(disconnectedKind(), "Not connected right now: the round can be ended once the connection is back.", {
        retry: true,
        countdown: true,
      });
      return;
    }
    state.ws.send(JSON.stringify({ type: "end" }));
    els.endButton.disabled = true;
    els.endButton.textContent = "Ending…";
  }

  // ---------------------------------------------------------------- clock

  function setTimeScale(scale) {
    state.timeScale = scale;
    els.drillScale.textContent = String(scale);
    els.drillBadge.hidden = scale === 1;
  }

  function elapsedWall() {
    return state.startMs === null ? null : (performance.now() - state.startMs) / 1000;
  }

  function showLeft(node, seconds, lowScriptSeconds) {
    if (seconds === null) {
      node.textContent = "–";
      node.classList.remove("low");
      return;
    }
    node.textContent = formatDuration(seconds);
    node.classList.toggle("low", seconds * state.timeScale < lowScriptSeconds);
  }

  function tick() {
    for (const node of els.banner.querySelectorAll(".countdown")) node.textContent = retryText();
    // Rounds without time boxes (most but system design) show only the round clock.
    els.phaseBox.hidden = !state.phase;
    els.phaseLeftBox.hidden = !state.phase || state.phase.until === null;
    if (state.ended) {
      els.roundLeftLabel.textContent = "Round";
      els.roundLeft.textContent = "Ended";
      els.roundLeft.classList.remove("low");
      return;
    }
    const elapsed = elapsedWall();
    els.phaseName.textContent = state.phase ? state.phase.title : "–";
    const phaseLeft =
      state.phase && state.phase.until !== null && elapsed !== null ? Math.max(0, state.phase.until - elapsed) : null;
    showLeft(els.phaseLeft, phaseLeft, 60);
    const roundLeft =
      state.minutes !== null && elapsed !== null
        ? Math.max(0, (state.minutes * 60) / state.timeScale - elapsed)
        : null;
    showLeft(els.roundLeft, roundLeft, 120);
  }

  setTimeScale(state.timeScale);
  tick();
  setInterval(tick, 250);

  function begin() {
    if (state.begun) return;
    state.begun = true;
    if (root.dataset.status === "ended") {
      // Still connect: the replayed messages rebuild the transcript and the end state.
      setBanner("connecting", "Loading the transcript…");
    } else {
      setBanner("connecting", "Connecting to the interviewer…");
    }
    connect();
  }

  els.send.disabled = true;
  if (autoConnect) begin();
  else setBanner(null);

  return {
    root,
    els,
    state,
    connect: begin,
    isOpen,
    setBanner,
    elapsedWall,
    announce,
    send(message) {
      if (!isOpen()) return false;
      state.ws.send(JSON.stringify(message));
      return true;
    },
    sendBinary(data) {
      if (!isOpen()) return false;
      state.ws.send(data);
      return true;
    },
    get socket() {
      return state.ws;
    },
  };
}
