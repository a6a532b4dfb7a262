-- wrk script: POST one fixed body, with optional extra headers, and print the
-- run's numbers as one JSON line for bench/run_bench.py.
--   wrk ... -s bench/lua/post.lua URL -- BODY_FILE ['Name: value' ...]
-- The body is read once per thread, so the measured loop does no file I/O.

function init(args)
  local f = assert(io.open(args[1], "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  if not wrk.headers["Content-Type"] then
    wrk.headers["Content-Type"] = "application/json"
  end
  for i = 2, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    assert(name, "header must look like 'Name: value': " .. args[i])
    wrk.headers[name] = value
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  -- wrk keeps latency in microseconds.
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors_connect": %d, "errors_read": %d, "errors_write": %d, "errors_status": %d, ' ..
    '"errors_timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
