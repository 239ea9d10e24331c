// End-to-end test of awps-emulator with the official npm packages:
// @azure/web-pubsub-client connects with URLs from our C negotiate route,
// joins, sends, raises events answered by a C upstream built with libawps
// (tests/e2e-upstream.c); @azure/web-pubsub drives every REST operation
// against the emulator and we check the effect on the live connections.
//
// Usage: node emulator-e2e.js EMULATOR UPSTREAM   (tests/emulator-e2e.sh)
// AWPS_APP_WRAPPER (e.g. "libtool --mode=execute valgrind ...") is put in
// front of both programs. Prints "N passed, N failed"; exit 1 on failure.
"use strict";
const { spawn } = require("node:child_process");
const readline = require("node:readline");
const { WebPubSubClient, WebPubSubJsonProtocol, WebPubSubJsonReliableProtocol } =
  require("@azure/web-pubsub-client");
const { WebPubSubServiceClient, odata } = require("@azure/web-pubsub");

const [emulatorBin, upstreamBin] = process.argv.slice(2);
const wrapper = (process.env.AWPS_APP_WRAPPER || "").split(/\s+/).filter(Boolean);
const slow = wrapper.length > 0;
const KEY = "e2e-key-0123456789abcdefghijklmnopqrstuvwxyz";
const WAIT = slow ? 60000 : 15000;
let passed = 0, failed = 0;
const children = [];

function check(name, ok, detail) {
  if (ok) { passed++; console.log("ok   " + name); }
  else { failed++; console.log("FAIL " + name + (detail !== undefined ? ": " + JSON.stringify(detail) : "")); }
}

function start(bin, args, name) {
  const argv = [...wrapper, bin, ...args];
  const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "inherit"] });
  children.push(child);
  child.lines = [];
  child.waiters = [];
  child.exitCode = null;
  child.on("exit", (code, sig) => { child.exited = { code, sig }; });
  readline.createInterface({ input: child.stdout }).on("line", (line) => {
    if (process.env.AWPS_E2E_VERBOSE) console.log(name + ": " + line);
    child.lines.push(line);
    child.waiters = child.waiters.filter((w) => !w(line));
  });
  return child;
}

// The first line (already seen or coming) matching re.
function waitLine(child, re, what, timeout = WAIT) {
  const seen = child.lines.find((l) => re.test(l));
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timeout waiting for " + what)), timeout);
    child.waiters.push((line) => {
      if (!re.test(line)) return false;
      clearTimeout(t);
      resolve(line);
      return true;
    });
  });
}

function until(pred, what, timeout = WAIT) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const v = pred();
      if (v) return resolve(v);
      if (Date.now() - t0 > timeout) return reject(new Error("timeout waiting for " + what));
      setTimeout(tick, 20);
    };
    tick();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A raw WebSocket: handshake by hand, then whatever bytes a test wants.
const net = require("node:net");
const crypto = require("node:crypto");
function rawSocket(wsUrl, protocol) {
  const u = new URL(wsUrl);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    let buf = Buffer.alloc(0);
    sock.on("error", reject);
    sock.on("connect", () => {
      sock.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString("base64")}\r\n` +
        `Sec-WebSocket-Version: 13\r\n` + (protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : "") + "\r\n");
    });
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      sock.off("data", onData);
      sock.head = buf.slice(0, end).toString();
      sock.rest = buf.slice(end + 4);
      sock.received = [sock.rest];
      sock.on("data", (x) => sock.received.push(x));
      resolve(sock);
    };
    sock.on("data", onData);
  });
}
// One client frame (masked unless mask === false).
function frame(opcode, payload, { mask = true, fin = true, lenOverride } = {}) {
  const p = Buffer.from(payload);
  const len = lenOverride !== undefined ? lenOverride : p.length;
  let head;
  if (len < 126) head = Buffer.from([(fin ? 0x80 : 0) | opcode, (mask ? 0x80 : 0) | len]);
  else if (len < 65536) { head = Buffer.alloc(4); head[0] = (fin ? 0x80 : 0) | opcode; head[1] = (mask ? 0x80 : 0) | 126; head.writeUInt16BE(len, 2); }
  else { head = Buffer.alloc(10); head[0] = (fin ? 0x80 : 0) | opcode; head[1] = (mask ? 0x80 : 0) | 127; head.writeBigUInt64BE(BigInt(len), 2); }
  if (!mask) return Buffer.concat([head, p]);
  const key = crypto.randomBytes(4);
  const body = Buffer.from(p.map((b, i) => b ^ key[i % 4]));
  return Buffer.concat([head, key, body]);
}


async function stopAll() {
  for (const c of children.reverse()) {
    if (c.exited) continue;
    c.kill("SIGTERM");
    const ok = await until(() => c.exited, "exit", slow ? 60000 : 10000).then(() => true, () => false);
    if (!ok) c.kill("SIGKILL");
  }
}

// A client that records what it receives.
function makeClient(negotiate, hub, user, protocol) {
  const url = `http://127.0.0.1:${negotiate}/negotiate/${hub}?user=${encodeURIComponent(user)}`;
  const client = new WebPubSubClient({
    getClientAccessUrl: async () => {
      const res = await fetch(url);
      if (!res.ok) throw new Error("negotiate " + res.status);
      return (await res.json()).url;
    },
  }, { protocol, autoReconnect: false, reconnectRetryOptions: { maxRetries: 0 } });
  client.got = { group: [], server: [], connected: [], disconnected: [], stopped: 0 };
  client.on("group-message", (e) => client.got.group.push(e.message));
  client.on("server-message", (e) => client.got.server.push(e.message));
  client.on("connected", (e) => client.got.connected.push(e));
  client.on("disconnected", (e) => client.got.disconnected.push(e));
  client.on("stopped", () => client.got.stopped++);
  return client;
}

async function main() {
  const upstream = start(upstreamBin, ["--key", KEY, "--wrong-key", "not-the-key"], "upstream");
  const eventsPort = (await waitLine(upstream, /^events on \d+$/, "upstream port")).split(" ")[2];
  const emulator = start(emulatorBin, [
    "--port", "0", "--key", KEY,
    "--hub", `chat=http://127.0.0.1:${eventsPort}/upstream/chat/{event}`,
    "--hub", `wrongkey=http://127.0.0.1:${eventsPort}/upstream/wrongkey/{event}`,
    ...(process.env.AWPS_E2E_VERBOSE ? ["--verbose"] : []),
  ], "emulator");
  const connStr = await waitLine(emulator, /^Endpoint=/, "connection string");
  await waitLine(emulator, /^listening on \d+$/, "emulator ready");
  check("emulator prints its connection string", /^Endpoint=http:\/\/127\.0\.0\.1;Port=\d+;AccessKey=.+;Version=1\.0;$/.test(connStr), connStr);
  upstream.stdin.write(connStr + "\n");
  const negotiate = (await waitLine(upstream, /^negotiate on \d+$/, "negotiate port")).split(" ")[2];

  // ---- client: connect, join, send to group, events, state ----
  const alice = makeClient(negotiate, "chat", "alice", WebPubSubJsonReliableProtocol());
  await alice.start();
  await until(() => alice.got.connected.length, "connected event").catch(() => null);
  const aliceId = alice.got.connected[0] && alice.got.connected[0].connectionId;
  check("client connected with a URL from the C negotiate route", !!aliceId, alice.got.connected);
  check("connected message carries the user id", alice.got.connected[0] && alice.got.connected[0].userId === "alice");
  await waitLine(upstream, new RegExp(`^connect chat ${aliceId} alice$`), "connect event");
  check("connect reached the upstream", true);
  await waitLine(upstream, new RegExp(`^connected chat ${aliceId} alice$`), "connected event");
  check("connected reached the upstream", true);

  await alice.joinGroup("room");
  await alice.sendToGroup("room", "hello room", "text");
  await until(() => alice.got.group.find((m) => m.data === "hello room"), "own group message");
  const gm = alice.got.group.find((m) => m.data === "hello room");
  check("own group message received", gm && gm.group === "room" && gm.fromUserId === "alice" && gm.dataType === "text", gm);
  await alice.sendToGroup("room", { n: 1 }, "json", { noEcho: true });
  await alice.sendToGroup("room", "after-noecho", "text");
  await until(() => alice.got.group.find((m) => m.data === "after-noecho"), "message after noEcho");
  check("noEcho suppresses the sender's copy", !alice.got.group.find((m) => m.data && m.data.n === 1));

  await alice.sendEvent("echo", { hello: "world" }, "json");
  await until(() => alice.got.server.length >= 1, "echo answer");
  const a1 = alice.got.server[0];
  check("event answered by the C upstream", a1 && a1.dataType === "json" && a1.data.echo.hello === "world" && a1.data.user === "alice", a1);
  check("state set on connect came back on the first event", a1 && a1.data.counter === 0, a1);
  await alice.sendEvent("echo", "again", "text");
  await until(() => alice.got.server.length >= 2, "second echo answer");
  const a2 = alice.got.server[1];
  check("state set by the event came back on the next one", a2 && a2.data.counter === 1 && a2.data.echo === "again", a2);
  await waitLine(upstream, new RegExp(`^event echo ${aliceId} alice$`), "event line");

  // an event the upstream fails: the client's send fails (error ack)
  let failedEvent = null;
  try { await alice.sendEvent("nope", "x", "text"); } catch (e) { failedEvent = e; }
  check("a failing upstream gives an error ack", failedEvent !== null, failedEvent && failedEvent.message);

  // ---- refused connect, wrong signature key ----
  const banned = makeClient(negotiate, "chat", "banned", WebPubSubJsonProtocol());
  let bannedErr = null;
  try { await banned.start(); } catch (e) { bannedErr = e; }
  check("an upstream that rejects connect makes start() fail", bannedErr !== null);
  await waitLine(upstream, /^connect chat \S+ banned$/, "banned connect");
  const wrong = makeClient(negotiate, "wrongkey", "carol", WebPubSubJsonProtocol());
  let wrongErr = null;
  try { await wrong.start(); } catch (e) { wrongErr = e; }
  check("the upstream's signature check fails with a wrong key", wrongErr !== null);
  check("no callback ran for the badly signed request", !upstream.lines.some((l) => / carol$/.test(l)));

  // ---- hostile clients never crash the emulator ----
  const negotiateUrl = async (user) => (await (await fetch(`http://127.0.0.1:${negotiate}/negotiate/chat?user=${user}`)).json()).url;
  const emuPort = connStr.match(/Port=(\d+)/)[1];
  const bad = [
    ["unmasked frame", frame(1, "{}", { mask: false })],
    ["reserved opcode", frame(3, "x")],
    ["invalid UTF-8 text", frame(1, Buffer.from([0xc3, 0x28]))],
    ["not JSON", frame(1, "not json at all")],
    ["JSON without type", frame(1, "{\"group\":1}")],
    ["unknown type with ack", frame(1, "{\"type\":\"bogus\",\"ackId\":1}")],
    ["wrong field types", frame(1, "{\"type\":\"joinGroup\",\"group\":[1],\"ackId\":-5}")],
    ["huge ackId", frame(1, "{\"type\":\"sendToGroup\",\"group\":\"g\",\"ackId\":1e300,\"data\":1}")],
    ["bad base64", frame(1, "{\"type\":\"sendToGroup\",\"group\":\"g\",\"dataType\":\"binary\",\"data\":\"@@@\",\"ackId\":2}")],
    ["deep JSON", frame(1, "[".repeat(5000) + "]".repeat(5000))],
    ["binary frame on json", frame(2, Buffer.from([0, 1, 2]))],
    ["over 1 MB announced", frame(1, "x", { lenOverride: 2 * 1024 * 1024 })],
    ["control frame too long", frame(9, "x".repeat(200))],
    ["continuation without start", frame(0, "abc")],
    ["fragmented control", frame(9, "p", { fin: false })],
  ];
  for (const [name, bytes] of bad) {
    const sock = await rawSocket(await negotiateUrl("mallory"), "json.webpubsub.azure.v1");
    sock.write(bytes);
    await sleep(slow ? 500 : 100);
    sock.destroy();
    const probe = await fetch(`http://127.0.0.1:${emuPort}/`).then((r) => r.status, () => 0);
    check("hostile client (" + name + ") leaves the emulator serving", probe === 200 && !emulator.exited, probe);
  }
  {
    const sock = await rawSocket(await negotiateUrl("mallory"), "json.webpubsub.azure.v1");
    sock.write(frame(1, "{\"type\":\"joinGroup\",\"group\":\"g\",\"ackId\":7}"));
    sock.write(frame(1, "{\"type\":\"joinGroup\",\"group\":\"g\",\"ackId\":7}"));
    sock.write(frame(1, "{\"type\":\"ping\"}"));
    await until(() => Buffer.concat(sock.received).toString().includes("pong"), "pong");
    const text = Buffer.concat(sock.received).toString();
    check("a repeated ackId gets a Duplicate error", /"ackId":7,"success":true/.test(text) && /"Duplicate"/.test(text), text.slice(0, 400));
    sock.write(frame(1, "{\"type\":\"sendToGroup\",\"group\":\"g\",\"ackId\":8,\"data\":\"x\"}"));
    await until(() => /"ackId":8/.test(Buffer.concat(sock.received).toString()), "ack 8");
    sock.write(frame(1, "{\"type\":\"joinGroup\",\"group\":\"a\\u0000b\",\"ackId\":9}"));
    await until(() => /"ackId":9/.test(Buffer.concat(sock.received).toString()), "ack 9");
    check("a group name holding \\u0000 gets a BadRequest ack",
      /"ackId":9,"success":false,"error":\{"name":"BadRequest"/.test(Buffer.concat(sock.received).toString()));
    sock.write(frame(1, "{\"type\":\"event\",\"event\":\"a\\u0001b\",\"ackId\":10,\"data\":\"x\"}"));
    await until(() => /"ackId":10/.test(Buffer.concat(sock.received).toString()), "ack 10");
    check("an event name holding a control character gets a BadRequest ack",
      /"ackId":10,"success":false,"error":\{"name":"BadRequest"/.test(Buffer.concat(sock.received).toString()));
    sock.destroy();
  }
  {
    const res = await new Promise((resolve) => {
      const sock = net.connect(Number(emuPort), "127.0.0.1", () => sock.write(
        "GET /client/hubs/chat?access_token=garbage HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
      let got = "";
      sock.on("data", (d) => { got += d; if (got.includes("\r\n")) { sock.destroy(); resolve(Number(got.split(" ")[1])); } });
      sock.on("error", () => resolve(0));
    });
    check("a bad access token is a 401", res === 401, res);
    const nohub = await fetch(`http://127.0.0.1:${emuPort}/client/hubs/nohub?access_token=x`).then((r) => r.status, () => 0);
    check("an unknown hub is a 404", nohub === 404, nohub);
  }

  // ---- REST operations with @azure/web-pubsub ----
  const svc = new WebPubSubServiceClient(connStr, "chat", { retryOptions: { maxRetries: 0 }, allowInsecureConnection: true });
  const bob = makeClient(negotiate, "chat", "bob", WebPubSubJsonProtocol());
  const alice2 = makeClient(negotiate, "chat", "alice", WebPubSubJsonProtocol());
  await bob.start();
  await alice2.start();
  await until(() => bob.got.connected.length && alice2.got.connected.length, "connected events");
  const bobId = bob.got.connected[0].connectionId;
  const alice2Id = alice2.got.connected[0].connectionId;
  const all = [alice, bob, alice2];
  const count = (c, pred) => c.got.server.filter(pred).length + c.got.group.filter(pred).length;
  const mark = (s) => (m) => m.data === s || (m.data && m.data.tag === s);

  await svc.sendToUser("bob", "for-bob", { contentType: "text/plain" });
  await until(() => count(bob, mark("for-bob")), "sendToUser");
  await sleep(300);
  check("sendToUser reaches only that user", count(alice, mark("for-bob")) === 0 && count(alice2, mark("for-bob")) === 0);

  await svc.sendToAll({ tag: "for-all" });
  await until(() => all.every((c) => count(c, mark("for-all"))), "sendToAll");
  const fa = bob.got.server.find(mark("for-all"));
  check("sendToAll reaches every connection as JSON", fa && fa.dataType === "json", fa);

  await svc.sendToAll("not-bob", { contentType: "text/plain", filter: odata`userId ne ${"bob"}` });
  await until(() => count(alice, mark("not-bob")) && count(alice2, mark("not-bob")), "filtered send");
  await sleep(300);
  check("sendToAll with a filter skips filtered connections", count(bob, mark("not-bob")) === 0);

  await svc.sendToAll("excl", { contentType: "text/plain", excludedConnections: [aliceId] });
  await until(() => count(bob, mark("excl")) && count(alice2, mark("excl")), "excluded send");
  await sleep(300);
  check("excluded connections are skipped", count(alice, mark("excl")) === 0);

  await svc.sendToConnection(alice2Id, "only-a2", { contentType: "text/plain" });
  await until(() => count(alice2, mark("only-a2")), "sendToConnection");
  await sleep(300);
  check("sendToConnection reaches only that connection", count(alice, mark("only-a2")) === 0 && count(bob, mark("only-a2")) === 0);

  await svc.sendToAll(Buffer.from([1, 2, 3]), { contentType: "application/octet-stream" });
  await until(() => bob.got.server.find((m) => m.dataType === "binary"), "binary send");
  const bin = bob.got.server.find((m) => m.dataType === "binary");
  check("binary messages arrive as binary", bin && Buffer.from(bin.data).equals(Buffer.from([1, 2, 3])), bin);

  check("userExists true", await svc.userExists("bob"));
  check("userExists false for nobody", !(await svc.userExists("nobody")));
  check("connectionExists true", await svc.connectionExists(bobId));
  check("groupExists true for a joined group", await svc.groupExists("room"));
  check("groupExists false for an empty group", !(await svc.groupExists("empty")));

  const g2 = svc.group("g2");
  await g2.addConnection(bobId);
  check("group.addConnection makes the group exist", await svc.groupExists("g2"));
  await g2.sendToAll("to-g2", { contentType: "text/plain" });
  await until(() => count(bob, mark("to-g2")), "group send");
  await sleep(300);
  check("group.sendToAll reaches only members", count(alice, mark("to-g2")) === 0 && count(alice2, mark("to-g2")) === 0);
  const gmsg = bob.got.group.find(mark("to-g2"));
  check("a REST group message is a group message", gmsg && gmsg.group === "g2", gmsg);
  await g2.removeConnection(bobId);
  check("group.removeConnection empties it", !(await svc.groupExists("g2")));
  let addErr = null;
  try { await g2.addConnection("no-such-connection"); } catch (e) { addErr = e; }
  check("group.addConnection of an unknown connection is a 404", addErr && addErr.statusCode === 404, addErr && addErr.statusCode);

  const g3 = svc.group("g3");
  await g3.addUser("alice");
  const members = [];
  for await (const m of await g3.listConnections()) members.push(m);
  const ids = members.map((m) => m.connectionId).sort();
  check("group.addUser adds all the user's connections; listConnections lists them",
    JSON.stringify(ids) === JSON.stringify([aliceId, alice2Id].sort()) && members.every((m) => m.userId === "alice"), members);
  const paged = [];
  for await (const m of await g3.listConnections({ maxPageSize: 1 })) paged.push(m);
  check("listConnections follows nextLink page by page", paged.length === 2, paged);
  await g3.removeUser("alice");
  check("group.removeUser removes them", !(await svc.groupExists("g3")));

  await svc.addConnectionsToGroups(["g4", "g5"], odata`userId eq ${"alice"}`);
  check("addConnectionsToGroups with a filter", (await svc.groupExists("g4")) && (await svc.groupExists("g5")));
  const g4 = [];
  for await (const m of await svc.group("g4").listConnections()) g4.push(m.connectionId);
  check("addConnectionsToGroups added only matching connections", g4.length === 2 && !g4.includes(bobId), g4);
  await svc.removeConnectionsFromGroups(["g4"], "userId eq 'alice'");
  check("removeConnectionsFromGroups", !(await svc.groupExists("g4")) && (await svc.groupExists("g5")));
  await svc.removeUserFromAllGroups("alice");
  check("removeUserFromAllGroups", !(await svc.groupExists("g5")) && !(await svc.groupExists("room")));
  await svc.group("g6").addConnection(bobId);
  await svc.removeConnectionFromAllGroups(bobId);
  check("removeConnectionFromAllGroups", !(await svc.groupExists("g6")));

  // permissions, seen by the client too (eve has no roles from connect)
  const eve = makeClient(negotiate, "chat", "eve", WebPubSubJsonProtocol());
  await eve.start();
  await until(() => eve.got.connected.length, "eve connected");
  const eveId = eve.got.connected[0].connectionId;
  let forbidden = null;
  try { await eve.joinGroup("vip"); } catch (e) { forbidden = e; }
  check("a connection without the role cannot join", forbidden !== null);
  check("hasPermission false before a grant", !(await svc.hasPermission(eveId, "joinLeaveGroup", { targetName: "vip" })));
  await svc.grantPermission(eveId, "joinLeaveGroup", { targetName: "vip" });
  check("grantPermission then hasPermission true", await svc.hasPermission(eveId, "joinLeaveGroup", { targetName: "vip" }));
  check("the grant is for that group only", !(await svc.hasPermission(eveId, "joinLeaveGroup", { targetName: "other" })));
  await eve.joinGroup("vip");
  check("the granted connection can join", await svc.groupExists("vip"));
  await svc.revokePermission(eveId, "joinLeaveGroup", { targetName: "vip" });
  check("revokePermission then hasPermission false", !(await svc.hasPermission(eveId, "joinLeaveGroup", { targetName: "vip" })));
  let forbidden2 = null;
  try { await eve.leaveGroup("vip"); } catch (e) { forbidden2 = e; }
  check("after the revoke the client is refused again", forbidden2 !== null);
  await svc.grantPermission(eveId, "sendToGroup", { targetName: "vip" });
  await eve.sendToGroup("vip", "eve-in-vip", "text");
  await until(() => eve.got.group.find(mark("eve-in-vip")), "granted send");
  check("sendToGroup granted by REST works", true);

  // closing
  await svc.closeConnection(alice2Id, { reason: "bye-a2" });
  await until(() => alice2.got.disconnected.length, "closeConnection");
  check("closeConnection closes that connection", !(await svc.connectionExists(alice2Id)));
  await waitLine(upstream, new RegExp(`^disconnected chat ${alice2Id} `), "disconnected event");
  check("disconnected reached the upstream", true);
  check("others stay connected", (await svc.connectionExists(aliceId)) && (await svc.connectionExists(bobId)));
  await svc.closeUserConnections("bob", { reason: "bye-bob" });
  await until(() => bob.got.disconnected.length, "closeUserConnections");
  check("closeUserConnections: userExists true, then false", !(await svc.userExists("bob")));
  const carl = makeClient(negotiate, "chat", "carl", WebPubSubJsonProtocol());
  await carl.start();
  await carl.joinGroup("last");
  await svc.group("last").closeAllConnections({ reason: "group-close" });
  await until(() => carl.got.disconnected.length, "group closeAllConnections");
  check("group.closeAllConnections closes the members", !(await svc.userExists("carl")) && (await svc.userExists("alice")));
  await svc.closeAllConnections({ reason: "all" });
  await until(() => alice.got.disconnected.length, "closeAllConnections");
  check("closeAllConnections closes everyone", !(await svc.userExists("alice")));
  await waitLine(upstream, new RegExp(`^disconnected chat ${aliceId} `), "alice disconnected");

  // a client that stops itself
  const dave = makeClient(negotiate, "chat", "dave", WebPubSubJsonProtocol());
  await dave.start();
  await until(() => dave.got.connected.length, "dave connected");
  const daveId = dave.got.connected[0].connectionId;
  dave.stop();
  await waitLine(upstream, new RegExp(`^disconnected chat ${daveId} `), "dave disconnected");
  check("a client's own close sends disconnected upstream", true);

  // the REST API refuses a token for another URL or key
  const other = new WebPubSubServiceClient(connStr.replace(/AccessKey=[^;]*/, "AccessKey=wrong"), "chat", { retryOptions: { maxRetries: 0 }, allowInsecureConnection: true });
  let authErr = null;
  try { await other.sendToAll("x", { contentType: "text/plain" }); } catch (e) { authErr = e; }
  check("a REST call signed with another key is a 401", authErr && authErr.statusCode === 401, authErr && authErr.statusCode);
}

// whatever happens, stop the programs we started
process.on("uncaughtException", async (e) => {
  console.log("FAIL uncaught: " + (e && e.stack || e));
  await stopAll();
  process.exit(1);
});

main()
  .catch((e) => { failed++; console.log("FAIL " + (e && e.stack || e)); })
  .finally(async () => {
    await stopAll();
    for (const c of children) {
      if (c.exited && c.exited.code !== 0) {
        failed++;
        console.log("FAIL " + c.spawnargs.join(" ").slice(0, 80) + " exited with " + JSON.stringify(c.exited));
      }
    }
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  });
