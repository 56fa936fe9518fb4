// The interview on a practice page (chat and voice): one websocket per page (socket.js),
// the transcript rebuilt from seq'd messages (transcript.js), the typed-answer box
// (composer.js), the clock (clock.js), the connection banner (banner.js) and the ending.
// This module reads the page and wires those together; none of them reaches into another.
// The chat page is this alone (practice.js); the voice page (voice.js) adds the
// microphone and the interviewer's voice through the hooks of `createInterview`.
import { kindLabel, loadSession } from "./common.js";
import { createBanner } from "./banner.js";
import { createClock } from "./clock.js";
import { mountCode } from "./code.js";
import { createComposer } from "./composer.js";
import { createSocket } from "./socket.js";
import { createTranscript } from "./transcript.js";

// Codes after which reconnecting cannot help: the tab is not allowed in, or the session
// is gone.
const FATAL_CODES = new Set(["unauthorized", "not_found", "deleted"]);

const END_REASONS = {
  completed: "The interviewer has finished the script.",
  time: "Time is up.",
  left: "You ended the round.",
};

function numberOrNull(value) {
  if (value === undefined || value === null || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

const byId = (id) => document.getElementById(id);

function wsUrl(sessionId) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}/ws/sessions/${encodeURIComponent(sessionId)}`;
}

// hooks (all optional):
//   open()                    the socket is open and hello was sent
//   close()                   the socket closed (a reconnect may follow)
//   message(msg) -> bool      every message after the seq check; true: handled, skip the default
//   interviewer(node, msg)    an interviewer line was added to the transcript
//   ended(msg)                the round is over
// options: autoConnect (default true): connect at once, or wait for `connect()`.
// Returns what the voice page needs: connect(), isOpen(), elapsedWall() (the clock's wall
// seconds, or null), send(msg) -> bool, sendAudio(data, maxBuffered) -> bool and
// showAnswerBox(on).
export function createInterview(hooks = {}, { autoConnect = true } = {}) {
  const root = byId("practice");
  const sessionId = root.dataset.sessionId;
  const stored = loadSession(sessionId) || {};
  const endedPanel = byId("ended-panel");
  const endedReason = byId("ended-reason");
  const replayLink = byId("replay-link");
  const retryButton = byId("retry-button");

  let ended = false;
  let fatal = false;

  const transcript = createTranscript({ list: byId("transcript"), live: byId("live"), typing: byId("typing") });
  const clock = createClock(
    {
      phaseBox: byId("phase-box"),
      phaseLeftBox: byId("phase-left-box"),
      phaseName: byId("phase-name"),
      phaseLeft: byId("phase-left"),
      roundLeft: byId("round-left"),
      roundLeftLabel: byId("round-left-label"),
      drillBadge: byId("drill-badge"),
      drillScale: byId("drill-scale"),
    },
    {
      minutes: numberOrNull(root.dataset.minutes) ?? numberOrNull(stored.minutes),
      timeScale: numberOrNull(root.dataset.timeScale) ?? numberOrNull(stored.time_scale) ?? 1,
      // A live session's page carries the seconds since it started; a new one starts its
      // clock when the first hello is answered (see onOpen).
      elapsed: numberOrNull(root.dataset.elapsed),
    },
  );
  const socket = createSocket({
    url: wsUrl(sessionId),
    token: typeof stored.token === "string" ? stored.token : "",
    onOpen,
    onMessage,
    onClose,
    onWaiting,
  });
  const banner = createBanner(
    {
      box: byId("conn-banner"),
      text: byId("conn-text"),
      icon: document.querySelector("#conn-banner .banner-icon"),
      retry: retryButton,
    },
    socket.retryIn,
  );
  const composer = createComposer(
    {
      form: byId("answer-form"),
      answer: byId("answer"),
      send: byId("send-button"),
      endButton: byId("end-button"),
      endDialog: byId("end-dialog"),
    },
    {
      say(text) {
        const notSent = "Not connected right now. Your answer stays in the box: send it again once the connection is back.";
        if (!whenConnected(notSent)) return false;
        socket.send({ type: "say", text });
        transcript.pending(text);
        return true;
      },
      end() {
        if (!whenConnected("Not connected right now: the round can be ended once the connection is back.")) return false;
        return socket.send({ type: "end" });
      },
    },
  );

  // Coding rounds: the editor, runs and output beside the conversation (code.js).
  const code = mountCode({
    sessionId,
    status: root.dataset.status,
    send: socket.send,
    isOpen: socket.isOpen,
    list: byId("transcript"),
    announce: transcript.announce,
  });

  function tick() {
    banner.tick();
    clock.render();
  }

  // ---------------------------------------------------------------- connection

  function onOpen(recovering) {
    if (root.dataset.status !== "ended") clock.start();
    composer.enable(true);
    if (recovering) {
      banner.show("back", "Reconnected: the interview continues where it left off.", { autoHideMs: 4000 });
    } else {
      banner.show(null);
    }
    code.open();
    if (hooks.open) hooks.open();
  }

  function onClose(opened) {
    if (hooks.close) hooks.close();
    if (ended || fatal || !opened) return;
    // The server may or may not have received the unconfirmed answers; if the replay after
    // reconnecting contains them, onCandidate clears the box again.
    const text = transcript.takePending();
    if (text) composer.restore(text);
  }

  function onWaiting(justLost) {
    if (justLost) {
      banner.show("reconnecting", "Connection lost. Reconnecting…", { retry: true, countdown: true });
    } else {
      banner.show(
        "gone",
        "The mockloop server is not reachable (is it still running?). Everything said so far is saved.",
        { retry: true, countdown: true },
      );
    }
  }

  // True when the socket is open; otherwise the banner says `text` and offers a retry.
  function whenConnected(text) {
    if (socket.isOpen()) return true;
    banner.show(banner.disconnectedKind(socket.everOpened), text, { retry: true, countdown: true });
    return false;
  }

  retryButton.addEventListener("click", socket.retryNow);

  // ---------------------------------------------------------------- messages

  function onInterviewer(msg) {
    const node = transcript.interviewer(msg);
    if (hooks.interviewer) hooks.interviewer(node, msg);
    transcript.thinking(false);
    const kind = typeof msg.kind === "string" && msg.kind !== "question" ? `${kindLabel(msg.kind)}: ` : "";
    transcript.announce(`Interviewer. ${kind}${msg.text ?? ""}`);
  }

  function onPhase(msg) {
    const title = String(msg.title || msg.phase || "");
    clock.setPhase(title, numberOrNull(msg.until));
    const scale = numberOrNull(msg.time_scale);
    if (scale !== null && scale > 0) clock.setTimeScale(scale);
    transcript.phase(msg.seq, title);
    transcript.announce(`New phase: ${title}`);
    tick();
  }

  function onEnded(msg) {
    ended = true;
    code.ended();
    clock.end();
    const reason = String(msg.reason || "");
    transcript.ended(msg.seq);
    endedReason.textContent = END_REASONS[reason] || (reason ? `Reason: ${reason}.` : "");
    const replay = typeof msg.replay === "string" ? msg.replay : "";
    // Only same-origin paths: the link must not lead anywhere else.
    if (replay.startsWith("/") && !replay.startsWith("//")) replayLink.href = replay;
    endedPanel.hidden = false;
    composer.close();
    transcript.thinking(false);
    banner.show(null);
    transcript.dropPending();
    transcript.announce(`The round is over. ${endedReason.textContent}`);
    endedPanel.focus({ preventScroll: true });
    transcript.scrollToEnd();
    document.title = `Ended · ${document.title}`;
    tick();
    socket.stop({ close: true });
    if (hooks.ended) hooks.ended(msg);
  }

  function onError(msg) {
    const code = String(msg.code || "error");
    const text = String(msg.message || "Something went wrong.");
    if (FATAL_CODES.has(code)) {
      fatal = true;
      socket.stop();
      banner.show(
        "fatal",
        code === "unauthorized"
          ? "This tab is not authorised for this session. Open it from the browser that started it, or start a new interview."
          : `This session cannot be continued: ${text}`,
      );
      composer.enable(false);
    }
    transcript.error(code, text);
  }

  function onMessage(msg) {
    if (hooks.message && hooks.message(msg) === true) return;
    switch (msg.type) {
      case "interviewer":
        onInterviewer(msg);
        break;
      case "candidate":
        transcript.candidate(msg);
        composer.confirmed(String(msg.text ?? ""));
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
        transcript.thinking(msg.value === "thinking");
        break;
      case "code_run":
        code.ran(msg);
        break;
      default:
        // Types this page does not know (partial, future additions) are ignored.
        break;
    }
  }

  // ---------------------------------------------------------------- start

  tick();
  setInterval(tick, 250);

  function begin() {
    if (socket.started) return;
    if (root.dataset.status === "ended") {
      // Still connect: the replayed messages rebuild the transcript and the end state.
      banner.show("connecting", "Loading the transcript…");
    } else {
      banner.show("connecting", "Connecting to the interviewer…");
    }
    socket.start();
  }

  if (autoConnect) begin();
  else banner.show(null);

  return {
    connect: begin,
    isOpen: socket.isOpen,
    elapsedWall: clock.elapsedWall,
    send: socket.send,
    sendAudio: socket.sendAudio,
    // The voice page shows the answer box only while the candidate types.
    showAnswerBox(on) {
      composer.show(on);
      if (on && socket.started) composer.focus();
    },
  };
}
