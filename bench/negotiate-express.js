// The negotiate endpoint of the service-side benchmark on Express with the
// official SDK (@azure/web-pubsub): GET /negotiate?id=USER answers the
// client access token ({baseUrl, url, token}) for that user with two roles
// and one group, as bench/negotiate-server.c does with libawps.
//
//   node bench/negotiate-express.js PORT      (0 = a free port)
//
// Listens on 127.0.0.1 and prints "listening on PORT" once ready. Express
// comes from bench/node_modules-dir (bench/run), the SDK from
// bench/node_modules (bench/run-tokens.sh).
"use strict";

const path = require("path");
module.paths.unshift(path.join(__dirname, "node_modules-dir", "node_modules"));

const express = require("express");
const { WebPubSubServiceClient } = require(path.join(__dirname, "node_modules", "@azure/web-pubsub"));

const CONNECTION_STRING =
  "Endpoint=https://contoso.webpubsub.azure.com;" +
  "AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFG=;Version=1.0;";
const roles = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup.group1"];
const groups = ["group1"];

const client = new WebPubSubServiceClient(CONNECTION_STRING, "hub1");
const app = express();
app.get("/negotiate", async (req, res) => {
  const id = req.query.id;
  if (typeof id !== "string" || !id) {
    res.status(400).send("missing ?id=");
    return;
  }
  try {
    res.set("Cache-Control", "no-store");
    res.json(await client.getClientAccessToken({ userId: id, roles, groups }));
  } catch (e) {
    res.status(500).send(String(e.message));
  }
});

const server = app.listen(Number(process.argv[2] || 0), "127.0.0.1", () => {
  console.log(`listening on ${server.address().port}`);
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => server.close(() => process.exit(0)));
