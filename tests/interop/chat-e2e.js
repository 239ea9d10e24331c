// End-to-end test of the README's main command (./run-demo): the chat
// example's backend (examples/chat) behind awps-emulator, driven by the
// official @azure/web-pubsub-client and by a raw WebSocket speaking
// json.webpubsub.azure.v1 the way the page (examples/chat/www/chat.js) does.
//
// Usage: node chat-e2e.js RUN_DEMO BUILD_DIR   (tests/chat-e2e.sh)
// run-demo is started with free ports, a temporary database, the prefix
// /chat, no apt and no build; AWPS_DEMO_WRAPPER (e.g. "libtool
// --mode=execute valgrind ...") goes in front of both programs. Prints
// "N passed, N failed"; exit 1 on failure.
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const readline = require("node:readline");
const WebSocket = require("ws");
const { WebPubSubClient, WebPubSubJsonProtocol } = require("@azure/web-pubsub-client");

const [runDemo, buildDir] = process.argv.slice(2);
const slow = !!process.env.AWPS_DEMO_WRAPPER;
const WAIT = slow ? 90000 : 20000;
const PREFIX = "/chat";
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chat-e2e-"));
const dbFile = path.join(tmp, "chat.db");
let passed = 0, failed = 0;
let demo = null;
const clients = [];
const errLines = [];

function check(name, ok, detail) {
  if (ok) { passed++; console.log("ok   " + name); }
  else { failed++; console.log("FAIL " + name + (detail !== undefined ? ": " + JSON.stringify(detail) : "")); }
}

function until(pred, what, timeout = WAIT) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      let v;
      try { v = pred(); } catch (e) { return reject(e); }
      if (v) return resolve(v);
      if (Date.now() - t0 > timeout) return reject(new Error("timeout waiting for " + what));
      setTimeout(tick, 20);
    };
    tick();
  });
}

// ./run-demo in its own process group; resolves with the chat's base URL.
async function startDemo() {
  const child = spawn(runDemo, [], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env, AWPS_SKIP_APT: "1", AWPS_DEMO_SKIP_BUILD: "1", AWPS_DEMO_BUILD_DIR: buildDir,
      CHAT_PORT: "0", AWPS_EMULATOR_PORT: "0", CHAT_DB: dbFile, CHAT_PREFIX: PREFIX,
    },
  });
  demo = child;
  if (process.env.CHAT_E2E_PIDFILE) fs.writeFileSync(process.env.CHAT_E2E_PIDFILE, String(child.pid));
  child.lines = [];
  child.on("exit", (code, sig) => { child.exited = { code, sig }; });
  readline.createInterface({ input: child.stdout }).on("line", (l) => {
    if (process.env.AWPS_E2E_VERBOSE) console.log("run-demo: " + l);
    child.lines.push(l);
  });
  readline.createInterface({ input: child.stderr }).on("line", (l) => {
    if (process.env.AWPS_E2E_VERBOSE) console.log("run-demo! " + l);
    errLines.push(l);
  });
  const open = await until(() => child.lines.find((l) => /^open http:/.test(l)) || child.exited, "run-demo's URL");
  if (child.exited) throw new Error("run-demo exited: " + JSON.stringify(child.exited));
  const m = /^open (http:\/\/127\.0\.0\.1:(\d+))(\S*)$/.exec(open);
  check("run-demo prints the URL to open, with the prefix", m && m[3] === PREFIX + "/", open);
  const cs = child.lines.find((l) => /connection string: Endpoint=/.test(l)) || "";
  child.emuPort = (/Port=(\d+);/.exec(cs) || [])[1];
  child.base = m[1];
  return child;
}

// SIGTERM to run-demo itself (it stops both programs); its exit status.
async function stopDemo(child) {
  if (!child || child.exited) return child && child.exited;
  child.kill("SIGTERM");
  const ok = await until(() => child.exited, "run-demo to stop", slow ? 180000 : 40000).then(() => true, () => false);
  if (!ok) {
    try { process.kill(-child.pid, "SIGKILL"); } catch (e) { /* gone */ }
    await until(() => child.exited, "run-demo killed", 5000).catch(() => null);
  }
  return child.exited;
}

async function get(url, opts) {
  const res = await fetch(url, { redirect: "manual", ...opts });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

// The official client, recording what it receives.
function sdkClient(base, user) {
  const client = new WebPubSubClient({
    getClientAccessUrl: async () => {
      const res = await fetch(`${base}${PREFIX}/negotiate?user=${encodeURIComponent(user)}`);
      if (!res.ok) throw new Error("negotiate " + res.status);
      return (await res.json()).url;
    },
  }, { protocol: WebPubSubJsonProtocol(), autoReconnect: false });
  client.got = [];     // {from, group, data}
  client.on("group-message", (e) => client.got.push({ from: "group", group: e.message.group, data: e.message.data }));
  client.on("server-message", (e) => client.got.push({ from: "server", data: e.message.data }));
  client.close = () => client.stop();
  clients.push(client);
  return client;
}

// A raw WebSocket client like the page: negotiate without the prefix (a
// proxy that strips it), JSON frames, acks.
async function rawClient(base, user) {
  const res = await fetch(`${base}/negotiate?user=${encodeURIComponent(user)}`);
  const { url } = await res.json();
  const ws = new WebSocket(url, "json.webpubsub.azure.v1");
  ws.got = [];
  ws.acks = new Map();
  ws.frames = [];
  ws.on("message", (buf) => {
    const msg = JSON.parse(buf.toString());
    ws.frames.push(msg);
    if (msg.type === "message") ws.got.push({ from: msg.from, group: msg.group, data: msg.data });
    if (msg.type === "ack") ws.acks.set(msg.ackId, msg);
  });
  ws.nextAck = 0;
  ws.event = async (dataType, data) => {
    const id = ++ws.nextAck;
    ws.send(JSON.stringify({ type: "event", event: ws.eventName || "message", dataType, data, ackId: id }));
    return until(() => ws.acks.get(id), "ack " + id);
  };
  ws.close1000 = () => ws.close(1000);
  clients.push({ close: () => ws.close() });
  await until(() => ws.frames.find((f) => f.type === "system" && f.event === "connected"), user + " connected");
  return ws;
}

const find = (c, pred) => c.got.find((m) => m.data && pred(m.data, m));

async function httpChecks(base, emuPort) {
  const page = await get(`${base}${PREFIX}/`);
  check("GET /chat/ serves the page", page.status === 200 && /text\/html/.test(page.headers.get("content-type")) &&
    page.body.includes('id="messages"'), page.status);
  check("the page has a Content-Security-Policy", /default-src 'self'/.test(page.headers.get("content-security-policy") || ""));
  const root = await get(`${base}/`);
  check("GET / serves the page too (prefix stripped by a proxy)", root.status === 200 && root.body === page.body);
  const js = await get(`${base}${PREFIX}/chat.js`);
  check("chat.js as JavaScript", js.status === 200 && /^text\/javascript/.test(js.headers.get("content-type")));
  const css = await get(`${base}/style.css`);
  check("style.css as CSS", css.status === 200 && /^text\/css/.test(css.headers.get("content-type")));
  const redirect = await get(`${base}${PREFIX}`);
  check("GET /chat redirects to /chat/", redirect.status === 301 && redirect.headers.get("location") === PREFIX + "/");
  for (const p of ["/..%2f..%2fconfigure.ac", "/%2e%2e/README.md", `${PREFIX}/../chat.db`, "/.hidden.js",
    "/chat-server.c", "/www/index.html", "/eventhandler/connect"]) {
    const r = await get(base + p);
    check(`GET ${p} is 404`, r.status === 404, r.status);
  }
  const post = await get(`${base}/`, { method: "POST", body: "x" });
  check("POST / is 405", post.status === 405 && post.headers.get("allow") === "GET, HEAD");

  for (const p of [`${PREFIX}/negotiate`, "/negotiate"]) {
    const r = await get(`${base}${p}?user=alice`);
    let j = {};
    try { j = JSON.parse(r.body); } catch (e) { /* checked below */ }
    check(`negotiate at ${p} answers baseUrl, url and token`, r.status === 200 && typeof j.token === "string" &&
      j.baseUrl === `ws://127.0.0.1:${emuPort}/client/hubs/chat` && j.url === `${j.baseUrl}?access_token=${j.token}`, r.body);
  }
  const bad = {
    "missing": "", "empty": "?user=", "65 bytes": "?user=" + "x".repeat(65), "SOH": "?user=a%01b",
    "newline": "?user=a%0Ab", "DEL": "?user=%7F", "C1 control": "?user=%C2%85", "not UTF-8": "?user=%FF",
    "leading space": "?user=%20alice",
  };
  for (const [what, q] of Object.entries(bad)) {
    const r = await get(`${base}${PREFIX}/negotiate${q}`);
    check(`negotiate refuses a ${what} name with 400 and a reason`, r.status === 400 && r.body.trim().length > 5, [r.status, r.body]);
  }
  const ok64 = await get(`${base}/negotiate?user=${"x".repeat(64)}`);
  check("negotiate takes a 64-byte name", ok64.status === 200);
  const post2 = await get(`${base}/negotiate?user=alice`, { method: "POST" });
  check("negotiate refuses POST", post2.status === 405);

  const forged = await get(`${base}/eventhandler/connect`, {
    method: "POST", body: "{}", headers: {
      "content-type": "application/json", "ce-specversion": "1.0", "ce-awpsversion": "1.0", "ce-id": "1",
      "ce-type": "azure.webpubsub.sys.connect", "ce-hub": "chat", "ce-connectionId": "c1", "ce-userId": "mallory",
      "ce-signature": "sha256=00", "WebHook-Request-Origin": `127.0.0.1:${emuPort}`,
    },
  });
  check("a forged event is refused (401)", forged.status === 401, forged.status);
  const pre = await get(`${base}${PREFIX}/eventhandler/validate`, { method: "OPTIONS", headers: { "WebHook-Request-Origin": `127.0.0.1:${emuPort}` } });
  check("abuse protection: the emulator's origin is allowed", pre.status === 200 && pre.headers.get("webhook-allowed-origin"), pre.status);
  const evil = await get(`${base}/eventhandler/validate`, { method: "OPTIONS", headers: { "WebHook-Request-Origin": "evil.example.com" } });
  check("abuse protection: another origin is refused", evil.status >= 400, evil.status);
}

async function chatChecks(base) {
  const alice = sdkClient(base, "alice");
  await alice.start();
  await until(() => find(alice, (d) => d.kind === "history"), "alice's history");
  const h0 = find(alice, (d) => d.kind === "history");
  check("a newcomer gets the history as one server message", h0.from === "server" && Array.isArray(h0.data.messages) && h0.data.messages.length === 0, h0);
  await until(() => find(alice, (d) => d.kind === "join" && d.user === "alice"), "alice's own join notice");
  const bob = await rawClient(base, "zoë-bob");
  await until(() => find(alice, (d) => d.kind === "join" && d.user === "zoë-bob"), "bob's join notice");
  const jn = find(alice, (d) => d.kind === "join" && d.user === "zoë-bob");
  check("a join notice reaches lobby, with a time", jn.from === "group" && jn.group === "lobby" && ISO.test(jn.data.time), jn);

  await alice.sendEvent("message", { text: "hello from alice" }, "json");
  await until(() => find(bob, (d) => d.kind === "message" && d.text === "hello from alice"), "alice's message at bob");
  const m1 = find(bob, (d) => d.kind === "message" && d.text === "hello from alice");
  const age = Date.now() - Date.parse(m1.data.time);
  check("bob sees alice's message with her name and a timestamp", m1.group === "lobby" && m1.data.user === "alice" &&
    ISO.test(m1.data.time) && age > -60000 && age < 600000 && Number.isInteger(m1.data.id), m1);

  const a1 = await bob.event("json", { text: "hi alice <b>&amp;</b>" });
  check("bob's message event is acknowledged", a1.success === true, a1);
  await until(() => find(alice, (d) => d.kind === "message" && d.user === "zoë-bob"), "bob's message at alice");
  const m2 = find(alice, (d) => d.kind === "message" && d.user === "zoë-bob");
  check("alice sees bob's message verbatim with his name", m2.data.text === "hi alice <b>&amp;</b>" && ISO.test(m2.data.time) && m2.data.id > m1.data.id, m2);
  const a2 = await bob.event("text", "plain text message");
  check("a text message event works too", a2.success === true);
  const inj = "'); DROP TABLE messages; --";
  await bob.event("json", { text: inj });
  await until(() => find(alice, (d) => d.kind === "message" && d.text === inj), "quoted text");
  check("quotes are stored and sent as they are", true);

  for (const [what, type, data] of [["an empty message", "json", { text: "  " }], ["a message over 4096 bytes", "json", { text: "y".repeat(4097) }],
    ["JSON without text", "json", { nope: 1 }], ["a number", "json", 42],
    ["a control character", "text", "bell\u0007"]]) {
    const a = await bob.event(type, data);
    check(`${what} is refused (error ack)`, a.success === false, a);
  }
  bob.eventName = "other";
  const a3 = await bob.event("json", { text: "x" });
  check("an unknown event is refused", a3.success === false, a3);
  bob.eventName = "message";

  const carol = sdkClient(base, "carol");
  await carol.start();
  await until(() => find(carol, (d) => d.kind === "history"), "carol's history");
  const h = find(carol, (d) => d.kind === "history").data.messages;
  const texts = h.map((m) => m.text);
  check("a late joiner gets the history in order", JSON.stringify(texts) ===
    JSON.stringify(["hello from alice", "hi alice <b>&amp;</b>", "plain text message", inj]), texts);
  check("history entries carry id, user and time", h.every((m) => Number.isInteger(m.id) && ISO.test(m.time)) &&
    h[0].user === "alice" && h[1].user === "zoë-bob", h);

  bob.close1000();
  await until(() => find(alice, (d) => d.kind === "leave" && d.user === "zoë-bob"), "bob's leave notice");
  const lv = find(carol, (d) => d.kind === "leave" && d.user === "zoë-bob") ||
    await until(() => find(carol, (d) => d.kind === "leave" && d.user === "zoë-bob"), "leave at carol");
  check("a leave notice reaches the others", lv.group === "lobby" && ISO.test(lv.data.time), lv);

  for (let i = 1; i <= 55; i++) await alice.sendEvent("message", { text: `n${i}` }, "json");
  const dave = sdkClient(base, "dave");
  await dave.start();
  await until(() => find(dave, (d) => d.kind === "history"), "dave's history");
  const hd = find(dave, (d) => d.kind === "history").data.messages;
  check("only the last 50 messages are kept", hd.length === 50 && hd[0].text === "n6" && hd[49].text === "n55",
    [hd.length, hd[0] && hd[0].text, hd[49] && hd[49].text]);
  for (const c of [alice, carol, dave]) c.stop();
}

async function main() {
  let d = await startDemo();
  await httpChecks(d.base, d.emuPort);
  await chatChecks(d.base);
  let exit = await stopDemo(d);
  check("SIGTERM stops run-demo, both programs with status 0", exit && exit.code === 0, exit);
  check("the database exists", fs.existsSync(dbFile));
  const head = fs.readFileSync(dbFile).subarray(0, 20);
  check("the database is in WAL mode", head[18] === 2 && head[19] === 2, [head[18], head[19]]);

  // again, on the same file: the history survived
  d = await startDemo();
  const erin = sdkClient(d.base, "erin");
  await erin.start();
  await until(() => find(erin, (x) => x.kind === "history"), "erin's history");
  const he = find(erin, (x) => x.kind === "history").data.messages;
  check("the history survives a restart", he.length === 50 && he[49].text === "n55", he.length);
  erin.stop();
  exit = await stopDemo(d);
  check("the second run stops cleanly too", exit && exit.code === 0, exit);
}

process.on("SIGTERM", () => { stopDemo(demo).finally(() => process.exit(1)); });
main()
  .catch((e) => { failed++; console.log("FAIL " + (e && e.stack || e)); })
  .finally(async () => {
    for (const c of clients) { try { c.close(); } catch (e) { /* closed */ } }
    await stopDemo(demo);
    if (failed) console.log(errLines.map((l) => "run-demo stderr: " + l).join("\n"));
    fs.rmSync(tmp, { recursive: true, force: true });
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  });
