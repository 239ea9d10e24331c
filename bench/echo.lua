-- Workload: a user event "echo" as the service sends it, with a valid
-- ce-signature for the awps `signed` hub (HMAC-SHA256 of the ce-connectionId
-- "conn-s" keyed with "primary-key-0123", lower-case hex). The handler answers
-- the 100-byte text back. Express ignores the signature; the floor ignores
-- everything.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

wrk.method = "POST"
wrk.headers["ce-specversion"] = "1.0"
wrk.headers["ce-id"] = "id-1"
wrk.headers["ce-source"] = "/hubs/signed/client/conn-s"
wrk.headers["ce-type"] = "azure.webpubsub.user.message"
wrk.headers["ce-time"] = "2026-11-27T10:00:00Z"
wrk.headers["ce-awpsversion"] = "1.0"
wrk.headers["ce-hub"] = "signed"
wrk.headers["ce-connectionId"] = "conn-s"
wrk.headers["ce-userId"] = "alice"
wrk.headers["ce-eventName"] = "echo"
wrk.headers["ce-signature"] =
   "sha256=69d8b4c032371c73201defff6f6704225521ab4926121a05e7b59211bd7caa74"
wrk.headers["WebHook-Request-Origin"] = "myhost.webpubsub.azure.com"
wrk.headers["Content-Type"] = "text/plain; charset=utf-8"
-- exactly 100 bytes
wrk.body = "The quick brown fox jumps over the lazy dog; " ..
           "pack my box with five dozen liquor jugs, said Alice 01."
