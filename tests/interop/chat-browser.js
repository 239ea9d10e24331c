// End-to-end test of the chat example in a real browser: Debian's chromium,
// headless, driven by playwright-core. Everything on 127.0.0.1:
//
//   browser pages --HTTP--> nginx /chat/ --> chat-server A, chat-server B
//        |                    ^              (one SQLite file between them)
//        +--WebSocket--> awps-emulator --events (http://.../chat/eventhandler/{event})
//                             ^
//   chat-servers --REST (broadcasts)--+
//
// Two pages join as alice and bob and chat both ways; carol joins late and
// sees the history; closing carol's page gives the others a leave notice.
// Then chat-server A is killed (SIGKILL) mid-chat: negotiate, events and
// broadcasts go on through nginx and B, and dave, joining after the crash,
// gets the whole history. Screenshots of alice's and bob's pages go to the
// current directory (chat-alice.png, chat-bob.png).
//
// Usage (tests/chat-browser.sh):
//   node chat-browser.js --emulator BIN --chat-server BIN --www DIR \
//        --nginx-run examples/nginx/run.sh --chromium PATH
//   node chat-browser.js --url http://127.0.0.1:8080/ --chromium PATH
// The second form only drives the pages against a chat that is already
// running (e.g. the one ./run-demo starts): no nginx, no kill.
// AWPS_APP_WRAPPER (e.g. "libtool --mode=execute valgrind ...") is put in
// front of the emulator and the chat-servers. Prints "N passed, N failed";
// exits 1 on a failure.
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const http = require("node:http");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const readline = require("node:readline");
const { chromium } = require("playwright-core");

const opts = {};
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i], v = process.argv[i + 1];
  if (!k.startsWith("--") || v === undefined) {
    console.error("usage: see the top of chat-browser.js");
    process.exit(2);
  }
  opts[k.slice(2)] = v;
}
const wrapper = (process.env.AWPS_APP_WRAPPER || "").split(/\s+/).filter(Boolean);
const slow = wrapper.length > 0;
const WAIT = slow ? 120000 : 30000;      // any one expectation
const START = slow ? 180000 : 30000;     // a program's "listening on"
const KEY = "chat-browser-key-0123456789abcdefghijklmnop";
const PREFIX = "/chat/";
const verbose = !!process.env.AWPS_E2E_VERBOSE;
let passed = 0, failed = 0;
const children = [];
let tmp = null;

function check(name, ok, detail) {
  if (ok) { passed++; console.log("ok   " + name); }
  else {
    failed++;
    console.log("FAIL " + name + (detail !== undefined ? ": " + String(detail).slice(0, 500) : ""));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- processes ------------------------------------------------------------

function start(argv, name, env) {
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...(env || {}) },
  });
  child.label = name;
  child.lines = [];
  child.errLines = [];
  child.waiters = [];
  child.exited = null;
  child.exitWaiters = [];
  children.push(child);
  child.on("exit", (code, sig) => {
    child.exited = { code, sig };
    child.exitWaiters.forEach((w) => w());
    // a moment for the last lines of its output (for the error message)
    setTimeout(() => child.waiters.forEach((w) => w(null)), 200);
  });
  child.on("error", (e) => { child.errLines.push(String(e)); });
  readline.createInterface({ input: child.stdout }).on("line", (line) => {
    if (verbose) console.log(name + ": " + line);
    child.lines.push(line);
    child.waiters = child.waiters.filter((w) => !w(line));
  });
  readline.createInterface({ input: child.stderr }).on("line", (line) => {
    if (verbose) console.log(name + "! " + line);
    child.errLines.push(line);
    if (child.errLines.length > 200) child.errLines.shift();
  });
  return child;
}

// The first stdout line matching re; rejects when the program exits first.
function waitLine(child, re, timeout = START) {
  const seen = child.lines.find((l) => re.test(l));
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const fail = (why) => {
      const e = new Error(`${child.label}: ${why}; stderr: ` + child.errLines.slice(-5).join(" | "));
      e.startup = true;
      reject(e);
    };
    if (child.exited) return fail("exited " + JSON.stringify(child.exited));
    const t = setTimeout(() => fail("no " + re + " within " + timeout + " ms"), timeout);
    child.waiters.push((line) => {
      if (line === null) {
        clearTimeout(t);
        fail("exited " + JSON.stringify(child.exited));
        return true;
      }
      if (!re.test(line)) return false;
      clearTimeout(t);
      resolve(line);
      return true;
    });
  });
}

function waitExit(child, timeout) {
  if (child.exited) return Promise.resolve(child.exited);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(null), timeout);
    child.exitWaiters.push(() => { clearTimeout(t); resolve(child.exited); });
  });
}

// SIGTERM, then SIGKILL if it is still there after the grace; the exit.
async function stop(child) {
  if (!child.exited) child.kill("SIGTERM");
  let e = await waitExit(child, slow ? 60000 : 15000);
  if (!e) {
    child.kill("SIGKILL");
    e = await waitExit(child, 5000);
    return { code: null, sig: "SIGKILL (did not stop on SIGTERM)" };
  }
  return e;
}

// A port free a moment ago: bind port 0, read it, close. nginx cannot bind
// port 0 and say which it got, and the emulator must know nginx's port
// before nginx can start (nginx needs the chat-servers', which need the
// emulator's), so another program may take the port in between -- then
// nginx fails with "Address already in use" and the whole set-up is retried
// with a new port.
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function httpGet(url, timeout = WAIT) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => { body += c; });
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.setTimeout(timeout, () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ status: 0, body: String(e) }));
  });
}

// ---- the deployment: emulator, two chat-servers, nginx ---------------------

async function setUp() {
  const nginxPort = await freePort();
  const template = `http://127.0.0.1:${nginxPort}${PREFIX}eventhandler/{event}`;
  const emu = start([...wrapper, opts.emulator, "--port", "0", "--key", KEY,
                     "--hub", "chat=" + template], "emulator");
  const csLine = await waitLine(emu, /^Endpoint=/);
  await waitLine(emu, /^listening on \d+/);
  const cs = csLine.trim();

  const db = path.join(tmp, "chat.db");
  const servers = [];
  for (const name of ["chat-server-A", "chat-server-B"]) {
    // one after the other: the first creates the database
    const s = start([...wrapper, opts["chat-server"], "--listen", "127.0.0.1", "--port", "0",
                     "--db", db, "--hub", "chat", "--www", opts.www], name,
                    { WEBPUBSUB_CONNECTION_STRING: cs });
    const line = await waitLine(s, /^listening on \d+/);
    s.port = Number(/(\d+)/.exec(line)[1]);
    servers.push(s);
  }

  const nginxDir = path.join(tmp, "nginx-" + nginxPort);
  const nginx = start(["sh", opts["nginx-run"], "--port", String(nginxPort), "--prefix", PREFIX,
                       "--dir", nginxDir,
                       ...servers.map((s) => "127.0.0.1:" + s.port)], "nginx");
  try {
    await waitLine(nginx, /^listening on \d+/);
  } catch (e) {
    e.portTaken = nginx.errLines.some((l) => /in use/.test(l));
    throw e;
  }
  return { emu, servers, nginx, nginxPort, nginxDir,
           base: `http://127.0.0.1:${nginxPort}${PREFIX}` };
}

async function stopAll() {
  for (const c of [...children].reverse()) await stop(c);
}

// ---- the pages -------------------------------------------------------------

function watch(page, name, problems) {
  page.on("pageerror", (e) => problems.push(`${name}: script error: ${e.message}`));
  page.on("response", (r) => {
    if (r.status() >= 400 && !/favicon\.ico$/.test(r.url()))
      problems.push(`${name}: ${r.status()} for ${r.url()}`);
  });
  page.on("requestfailed", (r) => {
    if (!/favicon\.ico$/.test(r.url()))
      problems.push(`${name}: ${r.url()} failed: ${r.failure() && r.failure().errorText}`);
  });
}

async function openPage(browser, base, name, problems) {
  const context = await browser.newContext({ viewport: { width: 720, height: 640 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  watch(page, name, problems);
  await page.goto(base, { timeout: WAIT });
  await page.fill("#name", name);
  await page.click("#join");
  return { name, context, page };
}

// Resolves true once fn(arg) is true in the page, false after the timeout.
async function eventually(page, fn, arg, timeout = WAIT) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 100 });
    return true;
  } catch (e) {
    return false;
  }
}

const connected = (p) => eventually(p.page,
  () => document.querySelector("#status").textContent.trim() === "connected");

// [user, text, history?] of the page's messages, in page order.
function messages(p) {
  return p.page.evaluate(() => [...document.querySelectorAll("#messages li.msg")].map((li) => [
    (li.querySelector(".user") || {}).textContent,
    (li.querySelector(".text") || {}).textContent,
    li.classList.contains("history"),
  ]));
}
function notices(p) {
  return p.page.evaluate(() =>
    [...document.querySelectorAll("#messages li.notice")].map((li) => li.textContent));
}

const hasMessage = (p, user, text) => eventually(p.page, ([u, t]) =>
  [...document.querySelectorAll("#messages li.msg")].some((li) =>
    (li.querySelector(".user") || {}).textContent === u &&
    (li.querySelector(".text") || {}).textContent === t), [user, text]);

// A notice naming the user, "... joined" or "... left".
const hasNotice = (p, user, what) => eventually(p.page, ([u, w]) =>
  [...document.querySelectorAll("#messages li.notice")].some((li) =>
    li.textContent.includes(u) && new RegExp(w, "i").test(li.textContent)), [user, what]);

async function say(p, text) {
  await p.page.fill("#text", text);
  await p.page.click("#send");
}

// ---- the scenario ----------------------------------------------------------

async function chat(browser, base, dep) {
  const problems = [];
  const tag = dep ? "" : " #" + Math.random().toString(36).slice(2, 7);  // --url: unique
  const n = (s) => s + tag;

  const alice = await openPage(browser, base, n("alice"), problems);
  check("alice's page loads through " + base + " and connects", await connected(alice));
  const bob = await openPage(browser, base, n("bob"), problems);
  check("bob's page connects", await connected(bob));
  check("alice sees bob's join notice", await hasNotice(alice, n("bob"), "join"));

  const m1 = "hello bob, this is alice" + tag, m2 = "hi alice! bob here" + tag;
  await say(alice, m1);
  check("bob gets alice's message with her name", await hasMessage(bob, n("alice"), m1));
  check("alice gets her own message back from the broadcast", await hasMessage(alice, n("alice"), m1));
  await say(bob, m2);
  check("alice gets bob's answer with his name", await hasMessage(alice, n("bob"), m2));

  const carol = await openPage(browser, base, n("carol"), problems);
  check("carol, joining late, connects", await connected(carol));
  const hist = await eventually(carol.page, ([t1, t2]) => {
    const h = [...document.querySelectorAll("#messages li.msg.history")]
      .map((li) => (li.querySelector(".text") || {}).textContent);
    return h.includes(t1) && h.includes(t2);
  }, [m1, m2]);
  const cm = await messages(carol);
  const i1 = cm.findIndex((m) => m[1] === m1), i2 = cm.findIndex((m) => m[1] === m2);
  check("carol gets the history: both messages, with names, in order",
        hist && i1 >= 0 && i2 > i1 && cm[i1][0] === n("alice") && cm[i2][0] === n("bob") &&
        cm[i1][2] && cm[i2][2], JSON.stringify(cm));
  if (dep) {
    check("... and nothing but them (a fresh database)",
          cm.length === 2, JSON.stringify(cm));
  }
  check("bob sees carol's join notice", await hasNotice(bob, n("carol"), "join"));

  await carol.context.close();
  check("closing carol's page: alice gets a leave notice", await hasNotice(alice, n("carol"), "left|leav"));
  check("... and bob too", await hasNotice(bob, n("carol"), "left|leav"));

  if (dep) await crash(browser, base, dep, alice, bob, problems);

  for (const p of [alice, bob]) {
    const file = path.resolve(`${process.env.AWPS_SHOT_PREFIX || ""}chat-${p.name.split(" ")[0]}.png`);
    await p.page.screenshot({ path: file, fullPage: true });
    check("screenshot " + path.basename(file), fs.statSync(file).size > 1000);
  }
  check("no script errors, failed requests or HTTP errors in the pages",
        problems.length === 0, problems.join("; "));
  await alice.context.close();
  await bob.context.close();
}

async function crash(browser, base, dep, alice, bob, problems) {
  const [a, b] = dep.servers;
  a.kill("SIGKILL");
  await waitExit(a, 10000);
  console.log(`     killed chat-server A (port ${a.port}) with SIGKILL`);
  // nginx drops its idle keep-alive connections to A when A's sockets close;
  // give it that instant (an event in flight at the crash may be lost).
  await sleep(500);

  let all = true, detail = "";
  for (let i = 0; i < 4; i++) {
    const r = await httpGet(base + "negotiate?user=erin");
    let url = null;
    try { url = JSON.parse(r.body).url; } catch (e) { /* below */ }
    if (r.status !== 200 || typeof url !== "string" || !url.startsWith("ws")) {
      all = false;
      detail = `${r.status} ${r.body}`;
      break;
    }
  }
  check("negotiate still answers through nginx (4 times)", all, detail);

  const m3 = "are you still there? (after the crash)", m4 = "yes, still chatting";
  await say(alice, m3);
  check("after the crash bob still gets alice's messages", await hasMessage(bob, "alice", m3));
  await say(bob, m4);
  check("... and alice bob's", await hasMessage(alice, "bob", m4));

  const dave = await openPage(browser, base, "dave", problems);
  check("dave joins after the crash", await connected(dave));
  check("alice sees dave's join notice", await hasNotice(alice, "dave", "join"));
  const hist = await eventually(dave.page, (want) => {
    const h = [...document.querySelectorAll("#messages li.msg.history")]
      .map((li) => (li.querySelector(".text") || {}).textContent);
    return want.every((t) => h.includes(t));
  }, ["hello bob, this is alice", "hi alice! bob here", m3, m4]);
  check("dave gets the history written by both backends", hist,
        JSON.stringify(await messages(dave)));
  await dave.context.close();
  check("closing dave's page: bob gets a leave notice", await hasNotice(bob, "dave", "left|leav"));

  const log = fs.readFileSync(path.join(dep.nginxDir, "logs", "access.log"), "utf8");
  check("nginx passed requests meant for the dead backend on to the other",
        log.includes(`upstream=127.0.0.1:${a.port}, 127.0.0.1:${b.port}`),
        log.split("\n").slice(-15).join("\n"));
  check("... and had used both backends before",
        log.includes(`upstream=127.0.0.1:${a.port} `) && log.includes(`upstream=127.0.0.1:${b.port} `));
}

// ---- main ------------------------------------------------------------------

async function main() {
  const executablePath = opts.chromium || "/usr/bin/chromium";
  let dep = null, base = opts.url;

  if (!base) {
    for (const k of ["emulator", "chat-server", "www", "nginx-run"])
      if (!opts[k]) throw new Error("--" + k + " is needed (or --url)");
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "awps-chat-browser-"));
    fs.chmodSync(tmp, 0o755);   // nginx's workers run as nobody under root
    for (let attempt = 1; ; attempt++) {
      try {
        dep = await setUp();
        break;
      } catch (e) {
        await stopAll();
        children.length = 0;
        if (!e.portTaken || attempt === 3) throw e;
        console.log("     nginx's port was taken meanwhile; again with another one");
      }
    }
    check(`emulator, chat-servers (ports ${dep.servers.map((s) => s.port).join(", ")}) ` +
          `and nginx (port ${dep.nginxPort}) start`, true);
    base = dep.base;
  }

  const browser = await chromium.launch({
    executablePath, headless: true, timeout: WAIT,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  try {
    await chat(browser, base, dep);
  } finally {
    await browser.close();
  }

  if (dep) {
    // the emulator sends its last disconnected events through nginx to B
    const order = [dep.emu, dep.servers[1], dep.nginx];
    for (const c of order) {
      const e = await stop(c);
      check(`${c.label} stops cleanly on SIGTERM (exit 0)`,
            e && e.code === 0, JSON.stringify(e) + " " + c.errLines.slice(-5).join(" | "));
    }
  }
}

process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));
process.on("exit", () => {
  for (const c of children) if (!c.exited) c.kill("SIGTERM");
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

main().then(async () => {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}, async (e) => {
  check("the test ran to its end", false, e && (e.startup ? e.message : e.stack));
  for (const c of children) {
    if (c.errLines.length) console.log(`---- ${c.label} stderr (last lines)\n` +
                                       c.errLines.slice(-20).join("\n"));
  }
  await stopAll();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(1);
});
