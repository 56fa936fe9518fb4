// Voice practice page: the interview of interview.js, plus the microphone (mic.js: an
// AudioWorklet whose 16 kHz PCM16 frames go out as binary websocket messages), the
// interviewer's voice (playback.js: clips prefetched and played in order, stopped when the
// candidate talks over them), a level meter, the listening / thinking / speaking state and
// "I'm done".
import { h } from "./common.js";
import { createInterview } from "./interview.js";
import { loadSettings, micErrorText, saveSettings, startMic } from "./mic.js";
import { createPlayer } from "./playback.js";

const root = document.getElementById("practice");
const panel = document.getElementById("voice-panel");
const status = root.dataset.status;

const els = {
  start: document.getElementById("voice-start"),
  startVoice: document.getElementById("voice-start-button"),
  startTyped: document.getElementById("typed-start-button"),
  echo: document.getElementById("opt-echo"),
  noise: document.getElementById("opt-noise"),
  early: document.getElementById("opt-early"),
  live: document.getElementById("voice-live"),
  state: document.getElementById("voice-state"),
  stateText: document.getElementById("voice-state-text"),
  level: document.getElementById("level"),
  levelBar: document.getElementById("level-bar"),
  partial: document.getElementById("partial"),
  partialText: document.getElementById("partial-text"),
  done: document.getElementById("done-button"),
  modeButton: document.getElementById("mode-button"),
  warming: document.getElementById("warming"),
  notice: document.getElementById("voice-notice"),
};

function settings() {
  return { echo: els.echo.checked, noise: els.noise.checked, early: els.early.checked };
}

const voice = {
  mode: "idle", // idle | voice | typed | over
  serverState: "listening",
  speech: false, // the server heard the candidate start an answer
  mic: null, // {listen(on), stop()} from startMic
  nodes: new Map(), // seq -> transcript node of interviewer lines
  level: 0,
  noticeTimer: null,
};

const interview = createInterview(
  {
    message: onMessage,
    interviewer: onInterviewerLine,
    ended: onEnded,
    open: onOpen,
    close: render,
  },
  // A new session starts its clock at the first hello: wait until the candidate is ready.
  { autoConnect: status !== "created" },
);

const player = createPlayer({
  report: (seq, event) => interview.send({ type: "playback", seq, event }),
  onChange: render,
});

// ---------------------------------------------------------------- state display

const STATE_TEXT = {
  idle: "Getting ready…",
  listening: "Listening: answer when you are ready",
  hearing: "Listening: you are speaking",
  thinking: "The interviewer is thinking…",
  speaking: "The interviewer is speaking (talk to interrupt)",
  typed: "Typing: the microphone is off",
  over: "The round is over",
};

function currentState() {
  if (voice.mode === "over") return "over";
  if (player.playingSeq !== null) return "speaking";
  if (voice.mode === "typed") return "typed";
  if (voice.mode === "idle") return "idle";
  if (voice.serverState === "thinking") return "thinking";
  return voice.speech ? "hearing" : "listening";
}

// The server ends a turn when the answer sounds finished unless told otherwise; every
// connection is told, since the choice lives in this browser.
function onOpen() {
  interview.send({ type: "turn_taking", early: els.early.checked });
  render();
}

function render() {
  const value = currentState();
  if (els.state.dataset.state !== value) {
    els.state.dataset.state = value;
    els.stateText.textContent = STATE_TEXT[value];
  }
  els.done.disabled = voice.mode !== "voice" || !interview.isOpen();
  els.modeButton.textContent = voice.mode === "typed" ? "Speak instead" : "Type instead";
  els.modeButton.disabled = voice.mode === "over";
  for (const [seq, node] of voice.nodes) node.classList.toggle("speaking-now", player.playingSeq === seq);
}

function notice(text, { autoHideMs = 0, focus = false } = {}) {
  clearTimeout(voice.noticeTimer);
  if (!text) {
    els.notice.hidden = true;
    return;
  }
  els.notice.replaceChildren(document.createTextNode(text));
  els.notice.hidden = false;
  if (focus) els.notice.focus({ preventScroll: true });
  if (autoHideMs) voice.noticeTimer = setTimeout(() => (els.notice.hidden = true), autoHideMs);
}

// ---------------------------------------------------------------- messages

function onMessage(msg) {
  switch (msg.type) {
    case "warming":
      showWarming(msg);
      return true;
    case "partial":
      showPartial(String(msg.text || ""));
      return true;
    case "state":
      voice.serverState = msg.value === "thinking" ? "thinking" : "listening";
      if (msg.value === "listening") voice.speech = Boolean(msg.speech);
      // The candidate started talking: the interviewer stops mid-line (barge-in).
      if (msg.speech) player.stop();
      render();
      return false; // the shared page shows its "thinking" line too
    case "candidate":
      showPartial("");
      voice.speech = false;
      render();
      return false;
    case "error":
      if (msg.code === "voice_unavailable") {
        notice(`${msg.message || "Voice is not available."}`, { focus: true });
        setMode("typed");
        return true;
      }
      if (msg.code === "nothing_heard") {
        notice(msg.message || "Nothing was heard yet.", { autoHideMs: 5000 });
        return true;
      }
      return false;
    default:
      return false;
  }
}

function showWarming(msg) {
  const total = Number(msg.total) || 0;
  const done = Number(msg.done) || 0;
  els.warming.textContent =
    msg.stage === "models"
      ? "Loading the speech models (the first voice interview after the server starts takes a little longer)…"
      : `Preparing the interviewer's voice: ${done} of ${total} line${total === 1 ? "" : "s"}…`;
  els.warming.hidden = false;
}

function showPartial(text) {
  els.partialText.textContent = text;
  els.partial.hidden = !text;
}

function onInterviewerLine(node, msg) {
  els.warming.hidden = true;
  const url = safeAudioUrl(msg.audio);
  if (!url) return;
  voice.nodes.set(msg.seq, node);
  const play = h("button", { type: "button", class: "small play-line", "aria-label": "Play this line" }, "▶ Play");
  play.addEventListener("click", () => player.playNow(msg.seq, url));
  node.querySelector(".msg-head").append(play);
  // Lines spoken before this page loaded (a reload's backlog) are not fetched at all.
  if (isStale(msg)) return;
  player.enqueue(msg.seq, url);
}

function safeAudioUrl(url) {
  // Only this server's own paths.
  return typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : null;
}

function isStale(msg) {
  // Lines already spoken before this page loaded (a reload, the backlog) stay silent.
  const elapsed = interview.elapsedWall();
  if (elapsed === null || typeof msg.at !== "number") return false;
  const length = typeof msg.duration === "number" ? msg.duration : 10;
  return elapsed > msg.at + length + 2;
}

function onEnded() {
  voice.mode = "over";
  stopMic();
  showPartial("");
  els.live.hidden = true;
  els.start.hidden = true;
  // The closing line keeps playing.
  render();
}

// ---------------------------------------------------------------- the microphone

async function turnOnMic() {
  voice.mic = await startMic({
    settings: settings(),
    worklet: panel.dataset.worklet,
    onFrame,
    onLost() {
      if (voice.mode === "over") return;
      notice("The microphone stopped (unplugged or taken by another app). Type your answers, or reload to try again.", {
        focus: true,
      });
      stopMic();
      setMode("typed");
    },
  });
}

function stopMic() {
  const mic = voice.mic;
  voice.mic = null;
  if (!mic) return;
  mic.stop();
  els.levelBar.style.transform = "scaleX(0)";
}

const MAX_BUFFERED = 256 * 1024; // bytes waiting in the socket: about 8 s of audio

function onFrame(data) {
  if (!data || !(data.pcm instanceof ArrayBuffer)) return;
  showLevel(Number(data.level) || 0);
  if (voice.mode !== "voice") return;
  interview.sendAudio(data.pcm, MAX_BUFFERED);
}

function showLevel(rms) {
  // -60 dBFS .. 0 dBFS onto 0..1, quick to rise and slower to fall.
  const db = rms > 0 ? 20 * Math.log10(rms) : -100;
  const target = Math.max(0, Math.min(1, (db + 60) / 60));
  voice.level = target > voice.level ? target : voice.level * 0.85 + target * 0.15;
  els.levelBar.style.transform = `scaleX(${voice.level.toFixed(3)})`;
  els.level.setAttribute("aria-valuenow", String(Math.round(voice.level * 100)));
}

// ---------------------------------------------------------------- modes and controls

function setMode(mode) {
  voice.mode = mode;
  const typed = mode === "typed";
  // Typing: no meter, no "I'm done" (the answer box sends).
  els.level.hidden = typed;
  els.done.hidden = typed;
  if (voice.mic) voice.mic.listen(!typed);
  if (typed) showPartial("");
  interview.showAnswerBox(typed);
  render();
}

async function begin(withVoice) {
  els.startVoice.disabled = true;
  els.startTyped.disabled = true;
  saveSettings(settings());
  els.start.hidden = true;
  els.live.hidden = false;
  if (withVoice) {
    try {
      await turnOnMic();
      setMode("voice");
    } catch (error) {
      notice(micErrorText(error), { focus: true });
      setMode("typed");
    }
  } else {
    setMode("typed");
  }
  interview.connect();
  render();
}

function sendDone() {
  if (voice.mode !== "voice") return;
  if (interview.send({ type: "done" })) {
    player.stop();
    voice.serverState = "thinking";
    render();
  }
}

els.startVoice.addEventListener("click", () => begin(true));
els.startTyped.addEventListener("click", () => begin(false));
els.done.addEventListener("click", sendDone);
els.modeButton.addEventListener("click", async () => {
  if (voice.mode === "typed") {
    if (!voice.mic) {
      try {
        await turnOnMic();
      } catch (error) {
        notice(micErrorText(error), { focus: true });
        return;
      }
    }
    notice(null);
    setMode("voice");
  } else if (voice.mode === "voice") {
    setMode("typed");
  }
});

function typingInto(target) {
  return target instanceof Element && Boolean(target.closest("input, textarea, select, button, summary, a, [contenteditable]"));
}

document.addEventListener("keydown", (event) => {
  if (event.code !== "Space" || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
  if (voice.mode !== "voice" || typingInto(event.target)) return;
  if (document.querySelector("dialog[open]")) return;
  event.preventDefault();
  sendDone();
});

{
  const saved = loadSettings();
  els.echo.checked = saved.echo;
  els.noise.checked = saved.noise;
  els.echo.addEventListener("change", () => saveSettings(settings()));
  els.noise.addEventListener("change", () => saveSettings(settings()));
  els.early.checked = saved.early;
  els.early.addEventListener("change", () => {
    saveSettings(settings());
    if (interview.isOpen()) interview.send({ type: "turn_taking", early: els.early.checked });
  });
}

interview.showAnswerBox(false);
if (status === "ended") {
  panel.hidden = true;
}
render();
