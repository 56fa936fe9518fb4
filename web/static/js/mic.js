// The microphone of the voice page: an AudioWorklet (mic-worklet.js) turning the input
// into 16 kHz PCM16 frames with their level, the options kept between visits, and what to
// tell the candidate when the browser refuses.

// Microphone options, kept between visits. Echo cancellation stays on unless turned off
// here (a test feeding a file as the microphone turns it off).
const SETTINGS_KEY = "mockloop.voice.settings";

export function loadSettings() {
  try {
    const s = JSON.parse(localStorage.getItem(SETTINGS_KEY) || "{}") || {};
    return { echo: s.echo !== false, noise: s.noise !== false, early: s.early !== false };
  } catch {
    return { echo: true, noise: true, early: true };
  }
}

export function saveSettings(settings) {
  try {
    localStorage.setItem(
      SETTINGS_KEY,
      JSON.stringify({ echo: settings.echo, noise: settings.noise, early: settings.early }),
    );
  } catch {
    // A convenience only.
  }
}

function namedError(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

// Starts capturing. settings: {echo, noise}; worklet: the worklet module's URL;
// onFrame({pcm, level}) for every frame; onLost() when the device goes away (unplugged,
// taken by another app). Resolves to {stop(), listen(on)}: `listen(false)` keeps the level
// meter going but has the worklet send no audio.
export async function startMic({ settings, worklet, onFrame, onLost }) {
  if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw namedError("InsecureContextError", "insecure");
  }
  if (typeof AudioWorkletNode === "undefined") throw namedError("NoWorkletError", "no worklet");
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: {
      channelCount: 1,
      echoCancellation: settings.echo,
      noiseSuppression: settings.noise,
      autoGainControl: settings.noise,
    },
    video: false,
  });
  let ctx = null;
  let source = null;
  try {
    ctx = new AudioContext({ sampleRate: 16000, latencyHint: "interactive" });
    source = ctx.createMediaStreamSource(stream);
  } catch {
    // Some browsers refuse a 16 kHz context or connecting a microphone to it: run at the
    // device rate and let the worklet resample.
    if (ctx) ctx.close();
    ctx = new AudioContext({ latencyHint: "interactive" });
    source = ctx.createMediaStreamSource(stream);
  }
  await ctx.audioWorklet.addModule(worklet);
  const node = new AudioWorkletNode(ctx, "mic-capture", {
    numberOfInputs: 1,
    numberOfOutputs: 1,
    channelCount: 1,
    channelCountMode: "explicit",
  });
  node.port.onmessage = (event) => onFrame(event.data);
  // A silent path to the output keeps the graph pulling the worklet in every browser.
  const mute = ctx.createGain();
  mute.gain.value = 0;
  source.connect(node);
  node.connect(mute);
  mute.connect(ctx.destination);
  await ctx.resume();
  for (const track of stream.getAudioTracks()) track.addEventListener("ended", onLost);
  return {
    listen(on) {
      node.port.postMessage({ on });
    },
    stop() {
      for (const track of stream.getTracks()) track.stop();
      node.port.onmessage = null;
      ctx.close().catch(() => {});
    },
  };
}

export function micErrorText(error) {
  switch (error && error.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "Microphone access was refused. Allow it for this site in the browser's settings and reload, or type your answers.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No microphone was found. Connect one and reload, or type your answers.";
    case "NotReadableError":
    case "AbortError":
      return "The microphone is busy or could not be started (another app may be using it). Type your answers, or reload to try again.";
    case "InsecureContextError":
      return "The browser only offers the microphone on https or on localhost. Open mockloop through localhost (or https), or type your answers.";
    case "NoWorkletError":
      return "This browser cannot process microphone audio (no AudioWorklet). Use a current browser, or type your answers.";
    default:
      return "The microphone could not be started. Type your answers, or reload to try again.";
  }
}
