// The clock of a practice page: the round's time left, the current phase's box and its
// time left (rounds without time boxes, most but system design, show only the round), and
// the drill badge when the session runs faster than real time.
//
// Wall seconds since the session started are measured against performance.now(), so a
// skewed client clock does not matter. The server's `until` and the round's minutes are in
// those wall seconds and in interview minutes respectively (interview time runs
// `timeScale` times faster).
import { formatDuration } from "./common.js";

// els: {phaseBox, phaseLeftBox, phaseName, phaseLeft, roundLeft, roundLeftLabel,
// drillBadge, drillScale}; minutes: the round's length or null; elapsed: wall seconds
// since the session started when the page was made, or null (not started yet).
export function createClock(els, { minutes, timeScale, elapsed }) {
  let startMs = elapsed === null ? null : performance.now() - elapsed * 1000;
  let scale = timeScale;
  let phase = null; // {title, until}
  let ended = false;

  function setTimeScale(value) {
    scale = value;
    els.drillScale.textContent = String(value);
    els.drillBadge.hidden = value === 1;
  }

  function elapsedWall() {
    return startMs === null ? null : (performance.now() - startMs) / 1000;
  }

  function showLeft(node, seconds, lowScriptSeconds) {
    if (seconds === null) {
      node.textContent = "–";
      node.classList.remove("low");
      return;
    }
    node.textContent = formatDuration(seconds);
    node.classList.toggle("low", seconds * scale < lowScriptSeconds);
  }

  function render() {
    els.phaseBox.hidden = !phase;
    els.phaseLeftBox.hidden = !phase || phase.until === null;
    if (ended) {
      els.roundLeftLabel.textContent = "Round";
      els.roundLeft.textContent = "Ended";
      els.roundLeft.classList.remove("low");
      return;
    }
    const elapsed = elapsedWall();
    els.phaseName.textContent = phase ? phase.title : "–";
    const phaseLeft = phase && phase.until !== null && elapsed !== null ? Math.max(0, phase.until - elapsed) : null;
    showLeft(els.phaseLeft, phaseLeft, 60);
    const roundLeft = minutes !== null && elapsed !== null ? Math.max(0, (minutes * 60) / scale - elapsed) : null;
    showLeft(els.roundLeft, roundLeft, 120);
  }

  setTimeScale(scale);

  return {
    render,
    elapsedWall,
    setTimeScale,
    // A new session's clock starts when its first hello is answered.
    start() {
      if (startMs === null) startMs = performance.now();
    },
    // until: wall seconds since the start at which the phase's box ends, or null.
    setPhase(title, until) {
      phase = { title, until };
    },
    end() {
      ended = true;
      phase = null;
    },
  };
}
