-- A workload at a fixed pace, for latency: every connection waits
-- BENCH_PACE_MS milliseconds (default 1) after each answer before it sends
-- its next request (wrk's delay() hook; the wait is not part of the latency
-- wrk records). With 32 connections that offers about 20,000 requests/s, a
-- fifth of what the floor serves at saturation, so the latency measured is
-- the server's own work, not the time a request queues in front of a server
-- that is always busy. BENCH_WORKLOAD names the workload script: echo,
-- connect or preflight.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local wl = os.getenv("BENCH_WORKLOAD")
assert(wl == "echo" or wl == "connect" or wl == "preflight",
       "BENCH_WORKLOAD must be echo, connect or preflight")
dofile(dir .. wl .. ".lua")

local pace = tonumber(os.getenv("BENCH_PACE_MS") or "1")
function delay()
   return pace
end
