-- wrk_report.lua: what every bench script shares (loaded with dofile from BENCH_DIR).
-- Each thread counts `ok` (the operation the workload measures finished) and `bad`
-- (an answer it did not expect); done() prints one JSON line that run.py reads.
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

ok = 0
bad = 0

local function total(name)
  local n = 0
  for _, t in ipairs(threads) do n = n + (t:get(name) or 0) end
  return n
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":%d,"bad":%d,"ok":%d}\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, total("bad"), total("ok")))
end

-- lines of a file, those whose index i has i % n == k (thread k of n takes its share)
function bench_lines(path, k, n)
  local out, i = {}, 0
  for line in io.lines(path) do
    if line ~= "" then
      if i % n == k then out[#out + 1] = line end
      i = i + 1
    end
  end
  return out
end
