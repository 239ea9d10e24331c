// Tokens per second of the official SDK's getClientAccessToken() with the
// same inputs as bench/tokens.c: a user id, two roles and one group. After a
// 0.5 s warm-up (the JIT) it prints:
//   sdk: <N> tokens/s (<count> tokens in <secs> s, <bytes> URL bytes)
// Usage: node tokens-sdk.js [SECONDS]   (default 1). Needs @azure/web-pubsub
// in bench/node_modules, where bench/run-tokens.sh installs it.
"use strict";
const path = require("path");
const { WebPubSubServiceClient } = require(path.join(__dirname, "node_modules", "@azure/web-pubsub"));

const CONNECTION_STRING =
  "Endpoint=https://contoso.webpubsub.azure.com;" +
  "AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFG=;Version=1.0;";
const roles = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup.group1"];
const groups = ["group1"];

// Mint tokens for at least `seconds`, 100 at a time.
async function run(client, seconds) {
  let count = 0, bytes = 0, elapsed;
  const start = process.hrtime.bigint();
  do {
    for (let i = 0; i < 100; i++, count++) {
      const t = await client.getClientAccessToken({ userId: "user" + count, roles, groups });
      bytes += t.url.length;
    }
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < seconds);
  return { count, bytes, elapsed };
}

async function main() {
  const seconds = process.argv[2] ? Number(process.argv[2]) : 1;
  if (process.argv.length > 3 || !(seconds > 0 && seconds <= 3600)) {
    console.error("usage: node tokens-sdk.js [SECONDS]");
    process.exit(2);
  }
  const client = new WebPubSubServiceClient(CONNECTION_STRING, "hub1");
  await run(client, 0.5);
  const r = await run(client, seconds);
  console.log(`sdk: ${(r.count / r.elapsed).toFixed(0)} tokens/s ` +
              `(${r.count} tokens in ${r.elapsed.toFixed(2)} s, ${r.bytes} URL bytes)`);
}

main().catch((e) => {
  console.error("tokens-sdk:", e.message);
  process.exit(1);
});
