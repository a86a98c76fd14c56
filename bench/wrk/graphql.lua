-- wrk script for bench/run.sh: POSTs one GraphQL body (from the environment variable BENCH_BODY) and
-- counts a response as a success only when it is HTTP 200 and its body has no "errors" (STYLE.md).
-- Prints one machine-readable line, BENCH_RESULT key=value ..., at the end.

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or '{"query":"{ version }"}'
wrk.headers["Content-Type"] = "application/json"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  non200 = 0
  gql_errors = 0
  sample = nil
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    sample = sample or ("HTTP " .. status .. ": " .. string.sub(body or "", 1, 200))
  elseif string.find(body, '"errors"', 1, true) then
    gql_errors = gql_errors + 1
    sample = sample or ("HTTP 200: " .. string.sub(body, 1, 200))
  else
    ok = ok + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_non200, total_gql, first_sample = 0, 0, 0, nil
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_non200 = total_non200 + thread:get("non200")
    total_gql = total_gql + thread:get("gql_errors")
    first_sample = first_sample or thread:get("sample")
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "BENCH_RESULT requests=%d ok=%d non200=%d gql_errors=%d socket_errors=%d seconds=%.3f " ..
    "rps=%.1f ok_rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f mean_ms=%.3f\n",
    summary.requests, total_ok, total_non200, total_gql, socket_errors, seconds,
    summary.requests / seconds, total_ok / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000, latency.mean / 1000))
  if first_sample then
    io.write("BENCH_FAILURE_SAMPLE " .. first_sample .. "\n")
  end
end
