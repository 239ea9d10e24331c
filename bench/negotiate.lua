-- Workload: a negotiate request, GET /negotiate?id=user1 (bench/run-service.sh
-- sends it to bench/negotiate-server and bench/negotiate-express.js); the
-- answer is {"baseUrl":...,"url":...,"token":...} with a fresh token.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

wrk.method = "GET"
wrk.path = "/negotiate?id=user1"
