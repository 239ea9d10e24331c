-- Workload: a connect event with the JSON body of the conformance vector
-- "connect-full" (claims, query, headers, subprotocols, client certificates),
-- signed for the awps `signed` hub. The handler answers JSON
-- {"userId":"alice","groups":["g1","g2"],"roles":[...],"subprotocol":...}.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

wrk.method = "POST"
wrk.headers["ce-specversion"] = "1.0"
wrk.headers["ce-id"] = "id-1"
wrk.headers["ce-source"] = "/hubs/signed/client/conn-s"
wrk.headers["ce-type"] = "azure.webpubsub.sys.connect"
wrk.headers["ce-time"] = "2026-11-27T10:00:00Z"
wrk.headers["ce-awpsversion"] = "1.0"
wrk.headers["ce-hub"] = "signed"
wrk.headers["ce-connectionId"] = "conn-s"
wrk.headers["ce-signature"] =
   "sha256=69d8b4c032371c73201defff6f6704225521ab4926121a05e7b59211bd7caa74"
wrk.headers["WebHook-Request-Origin"] = "myhost.webpubsub.azure.com"
wrk.headers["Content-Type"] = "application/json; charset=utf-8"
wrk.body = '{"claims": {"sub": ["alice"], "role": ["admin"]}, ' ..
           '"query": {"group": ["g1", "g2"], "role": ["webpubsub.sendToGroup"]}, ' ..
           '"headers": {"User-Agent": ["x"]}, ' ..
           '"subprotocols": ["json.webpubsub.azure.v1", "protobuf.webpubsub.azure.v1"], ' ..
           '"clientCertificates": [{"thumbprint": "abc"}]}'
