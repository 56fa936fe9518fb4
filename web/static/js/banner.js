// The connection banner of a practice page: connecting, reconnecting (with a countdown to
// the next try), the server gone, back again, or refused for good.
import { h } from "./common.js";

const ICONS = { connecting: "…", reconnecting: "↻", gone: "✕", back: "✓", fatal: "✕" };

// els: {box, text, icon, retry}; retryIn() -> milliseconds to the next try, or null while
// connecting (the socket's `retryIn`).
export function createBanner(els, retryIn) {
  let timer = null;

  function retryText() {
    const ms = retryIn();
    if (ms === null) return "Connecting…";
    const seconds = Math.ceil(ms / 1000);
    return seconds > 0 ? `Retrying in ${seconds} s.` : "Retrying now…";
  }

  // kind: one of ICONS' keys, or null to hide the banner.
  function show(kind, text, { retry = false, autoHideMs = 0, countdown = false } = {}) {
    clearTimeout(timer);
    if (!kind) {
      els.box.hidden = true;
      return;
    }
    els.box.dataset.state = kind === "fatal" ? "gone" : kind;
    els.icon.textContent = ICONS[kind] || "";
    els.text.textContent = text;
    if (countdown) {
      // Updated by tick() every quarter second; hidden from screen readers, which would
      // otherwise announce every change of the number.
      els.text.append(" ", h("span", { class: "countdown", "aria-hidden": "true" }, retryText()));
    }
    els.retry.hidden = !retry;
    els.box.hidden = false;
    if (autoHideMs) {
      timer = setTimeout(() => {
        els.box.hidden = true;
      }, autoHideMs);
    }
  }

  return {
    show,
    tick() {
      for (const node of els.box.querySelectorAll(".countdown")) node.textContent = retryText();
    },
    // While the server is gone the banner keeps saying so; otherwise the softer state.
    disconnectedKind(everOpened) {
      if (!els.box.hidden && els.box.dataset.state === "gone") return "gone";
      return everOpened ? "reconnecting" : "connecting";
    },
  };
}
