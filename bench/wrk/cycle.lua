-- wrk script: cycle through a file of request paths, one per line, each optionally followed by a
-- tab and an If-None-Match value; print a JSON summary (latency in microseconds) when done.
--   wrk -t2 -c16 -d10s -s bench/wrk/cycle.lua http://127.0.0.1:8765 -- urls.txt
local requests_list = {}
local counter = 0

function init(args)
  for line in io.lines(args[1]) do
    local path, etag = line:match("^([^\t]*)\t?(.*)$")
    if path ~= nil and path ~= "" then
      local headers = {}
      if etag ~= nil and etag ~= "" then headers["If-None-Match"] = etag end
      requests_list[#requests_list + 1] = wrk.format("GET", path, headers)
    end
  end
  -- Threads start at different places in the list (each thread has its own Lua state).
  local address = tonumber(tostring({}):match("0x(%x+)") or "0", 16) or 0
  math.randomseed(os.time() + address % 2147483647)
  counter = math.random(0, #requests_list - 1)
end

function request()
  counter = counter % #requests_list + 1
  return requests_list[counter]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d,' ..
    '"max":%d,"mean":%.1f,"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
    '"errors_status":%d,"errors_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
