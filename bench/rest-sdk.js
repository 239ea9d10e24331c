// REST sends per second of the official SDK's sendToAll() with the same
// message as bench/rest.c (100 bytes of text/plain to hub "hub1"), one send
// in flight, against the service in CONNECTION_STRING (bench/run-service.sh
// points it at bench/floor answering 202). After a 0.3 s warm-up it prints:
//   sdk: <N> sends/s (<count> sends in <secs> s)
// Usage: node rest-sdk.js CONNECTION_STRING [SECONDS]   (default 1). Needs
// @azure/web-pubsub in bench/node_modules (bench/run-tokens.sh installs it).
"use strict";
const path = require("path");
const { WebPubSubServiceClient } = require(path.join(__dirname, "node_modules", "@azure/web-pubsub"));

const MESSAGE = "The quick brown fox jumps over the lazy dog; " +
                "pack my box with five dozen liquor jugs, said Alice 01.";

async function run(client, seconds) {
  let count = 0, elapsed;
  const start = process.hrtime.bigint();
  do {
    for (let i = 0; i < 100; i++, count++)
      await client.sendToAll(MESSAGE, { contentType: "text/plain" });
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < seconds);
  return { count, elapsed };
}

async function main() {
  const connectionString = process.argv[2];
  const seconds = process.argv[3] ? Number(process.argv[3]) : 1;
  if (!connectionString || process.argv.length > 4 || !(seconds > 0 && seconds <= 3600)) {
    console.error("usage: node rest-sdk.js CONNECTION_STRING [SECONDS]");
    process.exit(2);
  }
  // the local mock speaks plain HTTP
  const client = new WebPubSubServiceClient(connectionString, "hub1", { allowInsecureConnection: true });
  await run(client, 0.3);
  const r = await run(client, seconds);
  console.log(`sdk: ${(r.count / r.elapsed).toFixed(0)} sends/s ` +
              `(${r.count} sends in ${r.elapsed.toFixed(2)} s)`);
}

main().catch((e) => {
  console.error("rest-sdk:", e.message);
  process.exit(1);
});
