// The inbox's websocket: events pushed by the server (hatch.realtime), a connection that
// comes back by itself, and a ping that notices a connection the network silently dropped.
//
// The page never depends on it: everything also works over HTTP, and each (re)connection
// calls onOpen so that the page fetches what it missed while it was away.

const FIRST_DELAY = 500; // ms before the first retry, doubled on each failure
const MAX_DELAY = 10_000;
const PING_EVERY = 25_000;
// A ping unanswered by the next one means the connection is gone, even if the browser has
// not noticed (a laptop that slept, a Wi-Fi that changed).
const PONG_TIMEOUT = 10_000;

export function liveUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  return scheme + window.location.host + path;
}

// onState receives "connecting", "connected" or "offline"; onEvent each pushed event.
export function connectLive({ url, onEvent, onState, onOpen }) {
  let socket = null;
  let failures = 0;
  let retryTimer = null;
  let pingTimer = null;
  let pongTimer = null;

  function setState(state) {
    try {
      onState(state);
    } catch (error) {
      console.error(error);
    }
  }

  function stopTimers() {
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
    pingTimer = null;
    pongTimer = null;
  }

  // "Equal jitter": half the delay fixed, half random, so that every page a server restart
  // disconnected does not come back in the same instant.
  function scheduleRetry() {
    clearTimeout(retryTimer);
    const delay = Math.min(MAX_DELAY, FIRST_DELAY * 2 ** failures);
    failures += 1;
    retryTimer = setTimeout(connect, delay / 2 + Math.random() * (delay / 2));
  }

  // Forget a socket for good: its late events change nothing.
  function drop(ws) {
    if (socket !== ws) {
      return;
    }
    socket = null;
    stopTimers();
    try {
      ws.close();
    } catch {
      // Already closed.
    }
  }

  function ping(ws) {
    if (socket !== ws || ws.readyState !== WebSocket.OPEN) {
      return;
    }
    ws.send(JSON.stringify({ type: "ping" }));
    clearTimeout(pongTimer);
    pongTimer = setTimeout(() => {
      drop(ws);
      setState("offline");
      scheduleRetry();
    }, PONG_TIMEOUT);
  }

  function connect() {
    clearTimeout(retryTimer);
    if (socket) {
      return;
    }
    setState("connecting");
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (error) {
      console.error(error);
      setState("offline");
      scheduleRetry();
      return;
    }
    socket = ws;
    ws.addEventListener("open", () => {
      if (socket !== ws) {
        return;
      }
      failures = 0;
      setState("connected");
      pingTimer = setInterval(() => ping(ws), PING_EVERY);
      try {
        onOpen();
      } catch (error) {
        console.error(error);
      }
    });
    ws.addEventListener("message", (message) => {
      if (socket !== ws) {
        return;
      }
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (event?.type === "pong") {
        clearTimeout(pongTimer);
        return;
      }
      try {
        onEvent(event);
      } catch (error) {
        console.error(error);
      }
    });
    // An error is always followed by close; close decides.
    ws.addEventListener("close", () => {
      if (socket !== ws) {
        return;
      }
      socket = null;
      stopTimers();
      setState("offline");
      scheduleRetry();
    });
  }

  // The browser knows when the network comes back or the tab returns: try at once.
  function retryNow() {
    if (!socket) {
      failures = 0;
      connect();
    }
  }

  window.addEventListener("online", retryNow);
  window.addEventListener("offline", () => {
    if (socket) {
      drop(socket);
      setState("offline");
      scheduleRetry();
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      retryNow();
    }
  });

  connect();
  return {
    get connected() {
      return socket?.readyState === WebSocket.OPEN;
    },
    // For what may be lost (presence.js): sent only while connected, never queued.
    // Answers whether it went out.
    send(data) {
      if (socket?.readyState !== WebSocket.OPEN) {
        return false;
      }
      socket.send(JSON.stringify(data));
      return true;
    },
  };
}
