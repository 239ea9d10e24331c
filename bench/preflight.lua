-- Workload: the abuse-protection preflight (OPTIONS with
-- WebHook-Request-Origin); the answer is 200 with WebHook-Allowed-Origin.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

wrk.method = "OPTIONS"
wrk.headers["WebHook-Request-Origin"] = "myhost.webpubsub.azure.com"
wrk.headers["ce-awpsversion"] = "1.0"
wrk.body = nil
