-- Shared by the workload scripts (loaded with dofile): a done() hook that
-- prints one machine-readable line that bench/run parses. Latencies are in
-- microseconds, as wrk measures them.
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "WRK requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d " ..
      "max_us=%d bytes=%d errors_connect=%d errors_read=%d errors_write=%d " ..
      "errors_status=%d errors_timeout=%d\n",
      summary.requests, summary.duration,
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout))
end

-- With BENCH_CHECK set (bench/run's warm-up), each thread prints its first
-- answer so that bench/run can check the server did the real work.
if os.getenv("BENCH_CHECK") == "1" then
   local shown = false
   function response(status, headers, body)
      if not shown then
         shown = true
         io.write(string.format("CHECK status=%d body=%s\n", status,
                                (body or ""):gsub("[\r\n]", " ")))
      end
   end
end
