// The typed-answer box and the "End round" button with its confirmation dialog.
//
// say(text) -> bool and end() -> bool send the answer or the end request and say whether it
// went out (false: not connected; the caller has told the candidate). A sent answer leaves
// the box; one that did not go out stays in it.

// els: {form, answer, send, endButton, endDialog}
export function createComposer(els, { say, end }) {
  let closed = false; // the round is over
  let restored = ""; // an unconfirmed answer put back in the box after a drop

  function sendAnswer() {
    if (closed) return;
    const text = els.answer.value.trim();
    if (!text) {
      els.answer.focus();
      return;
    }
    if (!say(text)) return;
    restored = "";
    els.answer.value = "";
    els.answer.focus();
  }

  function sendEnd() {
    if (closed || !end()) return;
    els.endButton.disabled = true;
    els.endButton.textContent = "Ending…";
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
    if (closed) return;
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

  els.send.disabled = true;

  return {
    // The socket is open (true) or the session refused this tab for good (false).
    enable(on) {
      els.send.disabled = !on;
      if (!on) els.endButton.disabled = true;
    },
    // The server may or may not have received `text`: put it back so nothing typed is
    // lost, unless something new is being typed.
    restore(text) {
      if (els.answer.value.trim() !== "") return;
      els.answer.value = text;
      restored = text;
    },
    // The server echoed `text`: an answer put back in the box did reach it after all.
    confirmed(text) {
      if (restored && restored === text && els.answer.value === text) els.answer.value = "";
      if (restored === text) restored = "";
    },
    close() {
      closed = true;
      els.form.hidden = true;
      els.endButton.hidden = true;
    },
    // The voice page shows the box only while the candidate types.
    show(on) {
      els.form.hidden = !on || closed;
    },
    focus() {
      els.answer.focus();
    },
  };
}
