// The comparison server: the official @azure/web-pubsub-express handler on
// Express, with the conformance app's connect and user-event behaviour
// (tests/conformance-app.c), serving the same two hubs the benchmark uses:
// `signed` at /signed/ and `chat` at the default /api/webpubsub/hubs/chat/.
// (The package never checks ce-signature, so the access keys have no
// counterpart here.)
//
//   node bench/express-server.js PORT      (0 = a free port)
//
// Listens on 127.0.0.1 and prints "listening on PORT" once ready. The
// packages come from bench/node_modules-dir (bench/run installs them there).
"use strict";

const path = require("path");
module.paths.unshift(path.join(__dirname, "node_modules-dir", "node_modules"));

const express = require("express");
const { WebPubSubEventHandler } = require("@azure/web-pubsub-express");

function first(map, key) {
  const v = map && map[key];
  return Array.isArray(v) && v.length ? v[0] : undefined;
}

function handleConnect(req, res) {
  const query = req.query || {};
  const mqtt = req.mqtt || {};
  if (req.context.clientProtocol === "mqtt" && mqtt.username === "bad") {
    res.fail(401, "bad user");
    return;
  }
  if (query.reject) {
    res.fail(401, "rejected " + (first(query, "reject") ?? ""));
    return;
  }
  if (query.error) {
    res.fail(500);
    return;
  }
  const state = first(query, "state");
  if (state !== undefined) res.setState("plan", state);
  if (query.empty) {
    res.success();
    return;
  }
  const answer = { userId: first(req.claims, "sub") ?? "anonymous" };
  if (query.group) answer.groups = query.group;
  if (query.role) answer.roles = query.role;
  if (req.subprotocols && req.subprotocols.length) answer.subprotocol = req.subprotocols[0];
  res.success(answer);
}

function handleUserEvent(req, res) {
  switch (req.context.eventName) {
    case "echo":
      res.success(req.dataType === "json" ? JSON.stringify(req.data) : req.data, req.dataType);
      break;
    case "count": {
      const c = req.context.states && req.context.states.count;
      const n = (typeof c === "number" ? c : 0) + 1;
      res.setState("count", n);
      res.success(String(n), "text");
      break;
    }
    case "fail":
      res.fail(400, "bad event");
      break;
    case "none":
      res.success();
      break;
    default:
      res.success("ok", "text");
  }
}

const options = { handleConnect, handleUserEvent };
const signed = new WebPubSubEventHandler("signed", { ...options, path: "/signed/" });
const chat = new WebPubSubEventHandler("chat", options);

const app = express();
app.use(signed.getMiddleware());
app.use(chat.getMiddleware());

const port = Number(process.argv[2] ?? 0);
const server = app.listen(port, "127.0.0.1", () => {
  console.log(`listening on ${server.address().port}`);
});
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
