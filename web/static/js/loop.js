// Full mock loops: start one from the home page ("Full loop"), and delete one from its
// debrief page. Each round is its own session; the server sets the cookies that open the
// loop and its rounds, so nothing secret is kept here beyond the session tokens that the
// practice page may use (sessionStorage, as for a single round).
import { describeHttpError, saveSession } from "./common.js";

function startForm(form) {
  const errorBox = document.getElementById("loop-error");
  const status = document.getElementById("loop-status");
  const button = document.getElementById("loop-start");
  const scaleInput = document.getElementById("loop-time-scale");

  function fail(title, detail) {
    const strong = document.createElement("strong");
    strong.textContent = title;
    const p = document.createElement("p");
    p.textContent = detail || "";
    errorBox.replaceChildren(strong, p);
    errorBox.hidden = false;
    button.disabled = false;
    status.textContent = "";
    errorBox.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    const loop = form.querySelector('input[name="loop"]:checked');
    if (!loop) {
      fail("Choose a loop", "Pick one of the loops first.");
      return;
    }
    const mode = form.querySelector('input[name="loop-mode"]:checked');
    const body = { loop: loop.value, mode: mode ? mode.value : "chat" };
    const scaleText = scaleInput ? scaleInput.value.trim() : "";
    if (scaleText !== "") {
      const scale = Number(scaleText);
      if (!Number.isFinite(scale) || scale < 1 || scale > 600) {
        fail("Time scale must be between 1 and 600", "1 is real time.");
        return;
      }
      body.time_scale = scale;
    }
    button.disabled = true;
    status.textContent = "Starting the loop…";
    let response;
    try {
      response = await fetch("/api/loops", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        credentials: "same-origin",
        body: JSON.stringify(body),
      });
    } catch {
      fail("The mockloop server cannot be reached", "Check that it is still running, then try again.");
      return;
    }
    if (response.status !== 201) {
      const err = await describeHttpError(response);
      fail(`The server could not start the loop (${err.status})`, err.message);
      return;
    }
    const created = await response.json().catch(() => null);
    if (!created || typeof created.id !== "string" || !Array.isArray(created.rounds)) {
      fail("Unexpected answer from the server", "Try again.");
      return;
    }
    for (const round of created.rounds) {
      const s = round.session || {};
      if (typeof s.id === "string") {
        saveSession(s.id, { token: s.token, ws: s.ws, replay: s.replay, time_scale: body.time_scale || 1 });
      }
    }
    window.location.assign(`/loops/${encodeURIComponent(created.id)}`);
  });
}

function deleteButton(button) {
  const root = document.getElementById("loop");
  const status = document.getElementById("delete-status");
  button.addEventListener("click", async () => {
    if (!window.confirm("Delete this loop and every round of it? This cannot be undone.")) return;
    button.disabled = true;
    const response = await fetch(`/api/loops/${encodeURIComponent(root.dataset.loopId)}`, {
      method: "DELETE",
      credentials: "same-origin",
    }).catch(() => null);
    if (response && response.status === 204) {
      window.location.assign("/");
      return;
    }
    button.disabled = false;
    status.textContent = "The loop could not be deleted; try again.";
  });
}

const form = document.getElementById("loop-form");
if (form) startForm(form);
const del = document.getElementById("delete-loop");
if (del) deleteButton(del);
