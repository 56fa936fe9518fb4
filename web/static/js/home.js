// Home page: choose round, scenario and mode, then create the session and go to it.
import { describeHttpError, saveSession } from "./common.js";

const form = document.getElementById("start-form");
const PREFS_KEY = "mockloop.home.prefs";

function loadPrefs() {
  try {
    return JSON.parse(localStorage.getItem(PREFS_KEY) || "{}") || {};
  } catch {
    return {};
  }
}

function savePrefs(prefs) {
  try {
    localStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
  } catch {
    // Preferences are a convenience only.
  }
}

if (form) {
  const errorBox = document.getElementById("start-error");
  const statusText = document.getElementById("start-status");
  const startButton = document.getElementById("start-button");
  const seedInput = document.getElementById("seed");
  const scaleInput = document.getElementById("time-scale");
  const advanced = document.getElementById("advanced");
  const noScenario = document.getElementById("no-scenario-for-round");
  const choices = Array.from(document.querySelectorAll("#scenario-choices .choice"));

  const checked = (name) => form.querySelector(`input[name="${name}"]:checked`);

  function showRound(round) {
    let firstVisible = null;
    let anyChecked = false;
    for (const choice of choices) {
      const visible = choice.dataset.round === round;
      choice.hidden = !visible;
      const input = choice.querySelector("input");
      input.disabled = !visible;
      if (visible) {
        firstVisible = firstVisible || input;
        anyChecked = anyChecked || input.checked;
      } else {
        input.checked = false;
      }
    }
    if (!anyChecked && firstVisible) firstVisible.checked = true;
    noScenario.hidden = Boolean(firstVisible);
  }

  function clearError() {
    errorBox.hidden = true;
    errorBox.replaceChildren();
    for (const input of [seedInput, scaleInput]) input.removeAttribute("aria-invalid");
  }

  function showError(title, detail, field) {
    const strong = document.createElement("strong");
    strong.textContent = title;
    const p = document.createElement("p");
    p.textContent = detail;
    errorBox.replaceChildren(strong, p);
    errorBox.hidden = false;
    if (field) {
      field.setAttribute("aria-invalid", "true");
      advanced.open = true;
      field.focus();
    } else {
      errorBox.focus();
    }
  }

  // Restore the last choice, then keep the scenario list in step with the round.
  const prefs = loadPrefs();
  // A link may name the scenario to practise (`/?scenario=ID`, from the progress page).
  const linked = new URLSearchParams(window.location.search).get("scenario");
  const linkedInput = linked
    ? form.querySelector(`input[name="scenario"][value="${CSS.escape(linked)}"]`)
    : null;
  if (linkedInput) {
    prefs.round = linkedInput.closest(".choice").dataset.round;
    prefs.scenario = linked;
  }
  const roundInputs = Array.from(form.querySelectorAll('input[name="round"]'));
  const savedRound = roundInputs.find((i) => i.value === prefs.round && !i.disabled);
  if (savedRound) savedRound.checked = true;
  if (!checked("round")) {
    const first = roundInputs.find((i) => !i.disabled);
    if (first) first.checked = true;
  }
  if (prefs.scenario) {
    const saved = form.querySelector(`input[name="scenario"][value="${CSS.escape(prefs.scenario)}"]`);
    if (saved) saved.checked = true;
  }
  showRound(checked("round") ? checked("round").value : "");
  for (const input of roundInputs) {
    input.addEventListener("change", () => {
      clearError();
      showRound(input.value);
    });
  }

  // Coming back with the Back button may restore this page from the back/forward cache
  // mid-submit: make it usable again.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) {
      startButton.disabled = false;
      statusText.textContent = "";
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError();

    const scenario = checked("scenario");
    if (!scenario) {
      showError("Choose a scenario", "Pick one of the scenarios for this round first.");
      return;
    }
    const mode = checked("mode") ? checked("mode").value : "chat";
    const body = { scenario: scenario.value, mode };

    const seedText = seedInput.value.trim();
    if (seedText !== "") {
      const seed = Number(seedText);
      if (!Number.isInteger(seed) || seed < 0) {
        showError("Seed must be a whole number", "Use 0 or a positive whole number, or leave it empty for a random one.", seedInput);
        return;
      }
      body.seed = seed;
    }
    const scaleText = scaleInput.value.trim();
    if (scaleText !== "") {
      const scale = Number(scaleText);
      if (!Number.isFinite(scale) || scale < 1 || scale > 600) {
        showError("Time scale must be between 1 and 600", "1 is real time; 60 makes a minute of the script pass in a second.", scaleInput);
        return;
      }
      body.time_scale = scale;
    }

    savePrefs({ round: checked("round") ? checked("round").value : "", scenario: scenario.value });
    startButton.disabled = true;
    statusText.textContent = "Starting…";
    let response;
    try {
      response = await fetch("/api/sessions", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        credentials: "same-origin",
        body: JSON.stringify(body),
      });
    } catch {
      startButton.disabled = false;
      statusText.textContent = "";
      showError(
        "The mockloop server cannot be reached",
        "Check that `mockloop serve` is still running on this machine, then try again.",
      );
      return;
    }

    if (response.status !== 201 && response.status !== 200) {
      const err = await describeHttpError(response);
      startButton.disabled = false;
      statusText.textContent = "";
      if (err.status === 404) {
        showError("Unknown scenario", err.message || "The server does not know this scenario. Reload the page to see the current list.");
      } else if (err.status === 422 || err.status === 400) {
        showError("The server did not accept these settings", err.message || "Check the seed and time scale.");
      } else if (err.status === 429) {
        showError("Too many sessions at once", err.message || "Wait a moment and try again.");
      } else {
        showError(`The server could not start the interview (${err.status})`, err.message || "Try again in a moment.");
      }
      return;
    }

    let created;
    try {
      created = await response.json();
    } catch {
      created = null;
    }
    if (!created || typeof created.id !== "string") {
      startButton.disabled = false;
      statusText.textContent = "";
      showError("Unexpected answer from the server", "The session was not created properly; try again.");
      return;
    }
    const choice = scenario.closest(".choice");
    saveSession(created.id, {
      token: created.token,
      ws: created.ws,
      replay: created.replay,
      minutes: choice ? Number(choice.dataset.minutes) : null,
      time_scale: body.time_scale || 1,
    });
    statusText.textContent = "Opening the interview…";
    window.location.assign(`/practice/${encodeURIComponent(created.id)}`);
  });
}
