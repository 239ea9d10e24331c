// The chat page: a native WebSocket speaking json.webpubsub.azure.v1 to the
// Web PubSub service (or awps-emulator), with the client URL from the
// backend's negotiate route. Messages go out as user events "message"; the
// backend broadcasts them (and join/leave notices) to the group "lobby" and
// sends a newcomer {"kind":"history","messages":[...]}. Text is only ever
// put into the page with textContent.
"use strict";

(function () {
  const SUBPROTOCOL = "json.webpubsub.azure.v1";
  const MAX_ITEMS = 500;          // list entries kept on the page
  const $ = (id) => document.getElementById(id);
  const ui = {
    login: $("login"), name: $("name"), join: $("join"), status: $("status"),
    error: $("error"), messages: $("messages"), composer: $("composer"),
    text: $("text"), send: $("send"),
  };

  let name = "";
  let ws = null;
  let generation = 0;             // bumped to abandon an older connection
  let attempt = 0;                // reconnect attempts since the last success
  let retryTimer = null;
  let ackId = 0;
  const shown = new Set();        // ids of the messages on the page

  function setStatus(s) {
    ui.status.textContent = s;
    ui.status.className = s;
    const up = s === "connected";
    ui.text.disabled = !up;
    ui.send.disabled = !up;
  }

  function showError(text) {
    ui.error.textContent = text || "";
    ui.error.hidden = !text;
  }

  function trim() {
    while (ui.messages.children.length > MAX_ITEMS) {
      const first = ui.messages.firstElementChild;
      if (first.dataset.id) shown.delete(first.dataset.id);
      first.remove();
    }
  }

  function scrollDown() {
    ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  function span(cls, text) {
    const s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    return s;
  }

  // A message {id, user, text, time}, kept in id order, each id once.
  function addMessage(m, history) {
    if (!m || typeof m.text !== "string") return;
    const id = String(m.id);
    if (shown.has(id)) return;
    shown.add(id);
    const li = document.createElement("li");
    li.className = history ? "msg history" : "msg";
    li.dataset.id = id;
    const when = new Date(m.time);
    const time = document.createElement("time");
    time.className = "time";
    time.dateTime = String(m.time || "");
    time.textContent = isNaN(when) ? String(m.time || "") : when.toLocaleTimeString();
    li.append(time, span("user", String(m.user || "?")), span("text", m.text));
    let before = null;
    for (const el of ui.messages.querySelectorAll("li.msg")) {
      if (Number(el.dataset.id) > Number(id)) { before = el; break; }
    }
    ui.messages.insertBefore(li, before);
    trim();
    scrollDown();
  }

  function addNotice(text) {
    const li = document.createElement("li");
    li.className = "notice";
    li.textContent = text;
    ui.messages.append(li);
    trim();
    scrollDown();
  }

  // Data from the backend (group "lobby" or the server).
  function handleData(d) {
    if (typeof d === "string") {
      try { d = JSON.parse(d); } catch (e) { return; }
    }
    if (!d || typeof d !== "object") return;
    switch (d.kind) {
      case "message": addMessage(d, false); break;
      case "history":
        if (Array.isArray(d.messages)) d.messages.forEach((m) => addMessage(m, true));
        break;
      case "join": addNotice(`${d.user} joined`); break;
      case "leave": addNotice(`${d.user} left`); break;
    }
  }

  function onFrame(ev) {
    let msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    if (msg.type === "system" && msg.event === "connected") {
      attempt = 0;
      showError("");
      setStatus("connected");
    } else if (msg.type === "system" && msg.event === "disconnected") {
      if (msg.message) showError(`disconnected: ${msg.message}`);
    } else if (msg.type === "message") {
      handleData(msg.data);
    } else if (msg.type === "ack" && !msg.success && msg.error) {
      showError(`not sent: ${msg.error.message || msg.error.name}`);
    }
  }

  function scheduleReconnect(gen) {
    if (gen !== generation) return;
    const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.75 + Math.random() / 2);
    attempt = Math.min(attempt + 1, 10);
    setStatus("disconnected");
    retryTimer = setTimeout(() => connect(gen), delay);
  }

  async function connect(gen) {
    if (gen !== generation) return;
    setStatus("connecting");
    let res, body;
    try {
      // relative to the page: works under a proxy's path prefix
      res = await fetch(`negotiate?user=${encodeURIComponent(name)}`, { cache: "no-store" });
      body = await res.text();
    } catch (e) {
      showError("cannot reach the chat server; retrying");
      return scheduleReconnect(gen);
    }
    if (gen !== generation) return;
    if (res.status >= 400 && res.status < 500) {   // e.g. a bad name: no retry
      showError(body.trim() || `negotiate failed (${res.status})`);
      setStatus("disconnected");
      return;
    }
    let url;
    try { url = JSON.parse(body).url; } catch (e) { url = null; }
    if (!res.ok || typeof url !== "string") {
      showError(`negotiate failed (${res.status}); retrying`);
      return scheduleReconnect(gen);
    }
    const sock = new WebSocket(url, SUBPROTOCOL);
    ws = sock;
    sock.onmessage = (e) => { if (gen === generation) onFrame(e); };
    sock.onclose = () => {
      if (ws === sock) ws = null;
      scheduleReconnect(gen);
    };
  }

  function stop() {
    generation++;
    clearTimeout(retryTimer);
    if (ws) { ws.close(1000); ws = null; }
  }

  ui.login.addEventListener("submit", (e) => {
    e.preventDefault();
    const n = ui.name.value.trim();
    if (!n) { showError("enter a name"); return; }
    name = n;
    try { localStorage.setItem("chat-name", n); } catch (err) { /* private mode */ }
    stop();
    attempt = 0;
    showError("");
    connect(generation);
  });

  ui.composer.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = ui.text.value;
    if (!text.trim() || !ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({
      type: "event", event: "message", dataType: "json", data: { text }, ackId: ++ackId,
    }));
    ui.text.value = "";
    ui.text.focus();
  });

  try { ui.name.value = localStorage.getItem("chat-name") || ""; } catch (err) { /* none */ }
  setStatus("disconnected");
})();
