-- wrk script for Hatch's benchmark; bench/__main__.py sets the environment it reads.
--   BENCH_TOKEN       the API token (Authorization: Token ...)
--   BENCH_METHOD      GET (default) or POST
--   BENCH_RECIPIENTS  for POST: "|"-separated recipients; each request sends to the next,
--                     so concurrent sends update different conversations, as real ones do.
-- At the end it prints one line, "BENCH_JSON {...}": the totals, latency percentiles in
-- microseconds, and the responses that were not 2xx (wrk itself counts only >= 400).

local token = os.getenv("BENCH_TOKEN") or ""
local method = os.getenv("BENCH_METHOD") or "GET"
local recipients = {}
for recipient in string.gmatch(os.getenv("BENCH_RECIPIENTS") or "", "[^|]+") do
  table.insert(recipients, recipient)
end

wrk.method = method
wrk.headers["Authorization"] = "Token " .. token
-- As the TLS-terminating proxy in front of production says (SECURE_PROXY_SSL_HEADER).
wrk.headers["X-Forwarded-Proto"] = "https"
if method == "POST" then
  wrk.headers["Content-Type"] = "application/json"
end

local threads = {}
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_number", next_thread)
  table.insert(threads, thread)
end

function init(args)
  sent = thread_number * 100003  -- threads start at different recipients
  non_2xx = 0
end

function request()
  if method ~= "POST" then
    return wrk.request()
  end
  sent = sent + 1
  local to = recipients[(sent % #recipients) + 1]
  local body = string.format('{"to": "%s", "body": "Benchmark message %d"}', to, sent)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
end

function done(summary, latency, requests)
  local not_ok = 0
  for _, thread in ipairs(threads) do
    not_ok = not_ok + thread:get("non_2xx")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non_2xx": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "status_errors": %d, ' ..
    '"timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, not_ok, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
