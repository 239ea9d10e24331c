-- tests/soak.sh's workload for wrk against tests/conformance-app: valid,
-- signed requests for the `signed` hub (key "primary-key-0123", connection
-- "conn-s"), in turn: a user event echoed at once, a user event answered
-- from a worker thread ("async", a suspended connection), a connect with a
-- JSON body, and the abuse-protection preflight. Every answer must be 2xx;
-- done() prints one "SOAK ..." line with the counts that tests/soak.sh checks.
local sig = "sha256=69d8b4c032371c73201defff6f6704225521ab4926121a05e7b59211bd7caa74"

local function event(ce_type, name, ctype, body)
   return wrk.format("POST", "/signed/", {
      ["Host"] = "127.0.0.1",
      ["ce-specversion"] = "1.0",
      ["ce-id"] = "id-1",
      ["ce-source"] = "/hubs/signed/client/conn-s",
      ["ce-type"] = ce_type,
      ["ce-time"] = "2026-11-27T10:00:00Z",
      ["ce-awpsversion"] = "1.0",
      ["ce-hub"] = "signed",
      ["ce-connectionId"] = "conn-s",
      ["ce-userId"] = "alice",
      ["ce-eventName"] = name,
      ["ce-signature"] = sig,
      ["WebHook-Request-Origin"] = "myhost.webpubsub.azure.com",
      ["Content-Type"] = ctype,
   }, body)
end

local requests = {}
local next_one = 0
non2xx = 0
answers = 0

function init(args)
   requests = {
      event("azure.webpubsub.user.echo", "echo", "text/plain; charset=utf-8",
            string.rep("soak ", 20)),
      event("azure.webpubsub.user.async", "async", "text/plain", "0"),
      event("azure.webpubsub.sys.connect", "connect", "application/json; charset=utf-8",
            '{"claims":{"sub":["alice"]},"query":{"group":["g1"]},' ..
            '"subprotocols":["json.webpubsub.azure.v1"]}'),
      wrk.format("OPTIONS", "/signed/", {
         ["Host"] = "127.0.0.1",
         ["WebHook-Request-Origin"] = "myhost.webpubsub.azure.com",
      }),
   }
end

function request()
   next_one = next_one % #requests + 1
   return requests[next_one]
end

function response(status, headers, body)
   answers = answers + 1
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      if non2xx <= 5 then
         io.write(string.format("non-2xx answer: %d %s\n", status,
                                (body or ""):sub(1, 200):gsub("[\r\n]", " ")))
      end
   end
end

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function done(summary, latency, requests)
   local bad, seen = 0, 0
   for _, t in ipairs(threads) do
      bad = bad + t:get("non2xx")
      seen = seen + t:get("answers")
   end
   local e = summary.errors
   io.write(string.format(
      "SOAK requests=%d answers=%d non2xx=%d errors_connect=%d errors_read=%d " ..
      "errors_write=%d errors_status=%d errors_timeout=%d p99_us=%d\n",
      summary.requests, seen, bad, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(99)))
end
