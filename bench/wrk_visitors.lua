-- Every request from a new visitor (its own X-Forwarded-For) with a phone browser's User-Agent,
-- so that with counting on every request is counted: the worst case for the counter. The bench
-- numbers each wrk run (the script's argument) and each thread: no two requests of a bench
-- share an address, so none is a repeat visit, and every response should be one counted view.
local threads = {}
counter = 0
id = 0
run = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  run = tonumber(args[1] or "0")
end

function request()
  counter = counter + 1
  wrk.headers["X-Forwarded-For"] = string.format(
    "%d.%d.%d.%d", 11 + run % 200, id % 256, math.floor(counter / 256) % 256, counter % 256)
  wrk.headers["User-Agent"] =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) AppleWebKit/605.1.15 MicroMessenger/8.0.47"
  return wrk.format(nil)
end

function done(summary, latency, requests)
  io.write(string.format("BENCH %.1f %.2f %d %d %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(99) / 1000,
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
