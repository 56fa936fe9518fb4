// The output pane of a coding round: what the last run printed and how it ended (exit
// code, timed out, seconds, and for a test run "5 passed, 1 failed, 0 errors"), or why it
// did not run. One short line (a live region) says the outcome to screen readers; stdout
// and stderr follow as plain text, never parsed as markup.
import { h } from "./common.js";

function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

function count(value) {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.round(n) : 0;
}

// "5 passed, 1 failed, 0 errors" from {passed, failed, errors}.
export function testCounts(result) {
  const passed = count(result.passed);
  const failed = count(result.failed);
  const errors = count(result.errors);
  return { passed, failed, errors, text: `${passed} passed, ${failed} failed, ${plural(errors, "error")}` };
}

export function secondsText(value) {
  const s = Number(value);
  if (!Number.isFinite(s) || s < 0) return "";
  return s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`;
}

// The outcome of a run as {text, state}: state "ok" (clean exit, every test passed),
// "fail" (a test failed) or "error" (crashed, timed out, tests raised).
export function runOutcome(run, tests) {
  const timedOut = Boolean(run.timed_out);
  const exit = Number.isFinite(Number(run.exit_code)) && run.exit_code !== null ? Number(run.exit_code) : null;
  const took = secondsText(run.seconds);
  const after = took ? ` after ${took}` : "";
  const result = run.tests ?? run.tests_result ?? null;
  if (timedOut) {
    const text = tests ? `The tests timed out${after} and were stopped.` : `The script timed out${after} and was stopped.`;
    return { state: "error", text };
  }
  if (tests && result && typeof result === "object") {
    const c = testCounts(result);
    let state = "fail";
    if (c.failed === 0 && c.errors === 0 && c.passed > 0) state = "ok";
    else if (c.failed === 0 && c.errors > 0) state = "error";
    return { state, text: `Tests: ${c.text}${took ? ` (${took})` : ""}.` };
  }
  if (exit === 0) return { state: "ok", text: `${tests ? "Tests ran" : "Ran"}: exit code 0${took ? ` in ${took}` : ""}.` };
  return {
    state: "error",
    text: `${tests ? "The tests did not finish" : "The script failed"}: exit code ${exit ?? "unknown"}${after}.`,
  };
}

// els: {box} (the pane's content: emptied and refilled on every run)
export function createOutput({ box }) {
  const status = h("p", { class: "run-status", role: "status", "aria-live": "polite" }, "Nothing has run yet.");
  const body = h("div", { class: "run-body" });
  box.replaceChildren(status, body);

  function setStatus(text, state) {
    status.textContent = text;
    status.dataset.state = state || "";
  }

  function stream(title, text, className) {
    return h(
      "div",
      { class: `run-stream ${className}` },
      h("h4", {}, title),
      h("pre", { tabindex: "0", "aria-label": title }, text),
    );
  }

  return {
    // A run was sent: the previous output stays visible (dimmed) until the answer comes.
    running(tests) {
      setStatus(tests ? "Running the tests…" : "Running your code…", "running");
      body.classList.add("stale");
    },
    result(run, tests) {
      const outcome = runOutcome(run, tests);
      setStatus(outcome.text, outcome.state);
      const stdout = typeof run.stdout === "string" ? run.stdout : "";
      const stderr = typeof run.stderr === "string" ? run.stderr : "";
      const exit = run.exit_code === null || run.exit_code === undefined ? "–" : String(run.exit_code);
      const facts = h(
        "dl",
        { class: "run-facts" },
        h("div", {}, h("dt", {}, "Exit code"), h("dd", {}, exit)),
        h("div", {}, h("dt", {}, "Time"), h("dd", {}, secondsText(run.seconds) || "–")),
        h("div", {}, h("dt", {}, "Timed out"), h("dd", {}, run.timed_out ? "yes" : "no")),
      );
      const result = run.tests ?? null;
      if (tests && result && typeof result === "object") {
        const c = testCounts(result);
        facts.prepend(
          h(
            "div",
            { class: "run-tests" },
            h("dt", {}, "Tests"),
            h(
              "dd",
              {},
              h("span", { class: "t-pass" }, `${c.passed} passed`),
              ", ",
              h("span", { class: c.failed ? "t-fail" : null }, `${c.failed} failed`),
              ", ",
              h("span", { class: c.errors ? "t-fail" : null }, plural(c.errors, "error")),
            ),
          ),
        );
      }
      const parts = [facts];
      if (stdout) parts.push(stream("Output (stdout)", stdout, "stdout"));
      // With the tests, stderr also carries the hidden tests' report: red only for a run
      // that failed, timed out or crashed.
      const clean = !run.timed_out && run.exit_code === 0;
      if (stderr) {
        const label = tests ? "Test report and errors (stderr)" : "Errors (stderr)";
        parts.push(stream(label, stderr, clean ? "report" : "stderr"));
      }
      if (!stdout && !stderr) parts.push(h("p", { class: "muted" }, "Nothing was printed."));
      body.classList.remove("stale");
      body.replaceChildren(...parts);
    },
    // The run did not happen (or its answer was lost): one clear line; the previous output
    // stays as it was.
    failure(text) {
      setStatus(text, "error");
      body.classList.remove("stale");
    },
    // A run from before this page loaded (the transcript's backlog): its summary only, and
    // only while nothing has run on this page.
    previous(summary) {
      if (status.dataset.state) return;
      status.textContent = `Last run before this page loaded: ${summary}`;
    },
  };
}
