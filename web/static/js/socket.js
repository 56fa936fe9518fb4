// The session's websocket: connecting, the hello, and reconnecting with backoff after any
// drop until the page stops it (the round ended, or the server refused the tab for good).
//
// Resumption works the way the wire contract promises: every session message carries a
// seq, the socket remembers the highest one it has passed on, and after any drop it says
// `hello` with that seq so the server sends only what was missed. Anything with a seq at
// or below the last one seen is a duplicate and is dropped, so nothing shows twice.
//
// No DOM here: what the page shows about the connection is up to the callbacks.
//   onOpen(recovering)   the socket is open and hello was sent; recovering: it had been open before
//   onMessage(msg)       a JSON object from the server, duplicates already dropped
//   onClose(opened)      the socket closed; opened: it had been open (a reconnect may follow)
//   onWaiting(justLost)  a reconnect is scheduled; justLost: the first try after an open socket dropped

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
const BACKOFF_MAX_MS = 10000;

export function createSocket({ url, token, onOpen, onMessage, onClose, onWaiting }) {
  let ws = null;
  let lastSeq = 0;
  let started = false; // start() was called (the first hello starts the session's clock)
  let stopped = false;
  let everOpened = false;
  let attempt = 0;
  let retryAt = 0;
  let retryTimer = null;

  function receive(event) {
    if (typeof event.data !== "string") return; // binary frames carry nothing for the page
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!msg || typeof msg !== "object") return;
    if (typeof msg.seq === "number") {
      if (msg.seq <= lastSeq) return;
      lastSeq = msg.seq;
    }
    onMessage(msg);
  }

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (stopped) return;
    if (ws && ws.readyState <= WebSocket.OPEN) return;
    let socket;
    try {
      socket = new WebSocket(url);
    } catch {
      scheduleReconnect();
      return;
    }
    ws = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      // Without a token in this tab (a resumed session opened from the list), null lets the
      // server fall back to the session's HttpOnly cookie, which the handshake carried.
      socket.send(JSON.stringify({ type: "hello", token: token || null, last_seq: lastSeq }));
      const recovering = everOpened;
      everOpened = true;
      attempt = 0;
      onOpen(recovering);
    });
    socket.addEventListener("message", receive);
    socket.addEventListener("close", () => {
      if (ws === socket) ws = null;
      onClose(opened);
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (stopped) return;
    const base = attempt < BACKOFF_MS.length ? BACKOFF_MS[attempt] : BACKOFF_MAX_MS;
    const delay = Math.round(base * (1 + Math.random() * 0.3));
    attempt += 1;
    retryAt = performance.now() + delay;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
    onWaiting(attempt <= 1 && everOpened);
  }

  function retryNow() {
    if (!started || stopped || ws) return;
    retryAt = performance.now();
    connect();
  }

  window.addEventListener("online", retryNow);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") retryNow();
  });

  function isOpen() {
    return ws !== null && ws.readyState === WebSocket.OPEN;
  }

  return {
    start() {
      if (started) return;
      started = true;
      connect();
    },
    get started() {
      return started;
    },
    get everOpened() {
      return everOpened;
    },
    retryNow,
    // Milliseconds until the next try, or null while a socket is connecting or open.
    retryIn() {
      return ws ? null : Math.max(0, retryAt - performance.now());
    },
    // No more reconnecting; `close` also closes the open socket (code 1000: done with it).
    stop({ close = false } = {}) {
      stopped = true;
      clearTimeout(retryTimer);
      if (close && ws) ws.close(1000, "ended");
    },
    isOpen,
    send(message) {
      if (!isOpen()) return false;
      ws.send(JSON.stringify(message));
      return true;
    },
    // Audio for the server, dropped while more than `maxBuffered` bytes still wait to go.
    sendAudio(data, maxBuffered) {
      if (!isOpen() || ws.bufferedAmount > maxBuffered) return false;
      ws.send(data);
      return true;
    },
  };
}
