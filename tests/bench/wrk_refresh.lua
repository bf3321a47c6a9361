-- wrk_refresh.lua: refresh_token grants with rotation. Each thread holds a queue of
-- refresh tokens (its share of BENCH_CODES); a request takes one, and the new refresh
-- token of each 200 answer goes back into the queue, so no token is used twice.
dofile(os.getenv("BENCH_DIR") .. "/wrk_report.lua")

function init(args)
  queue = bench_lines(os.getenv("BENCH_CODES"), tid, tonumber(os.getenv("BENCH_THREADS")))
  headers = { ["Authorization"] = os.getenv("BENCH_AUTH"),
              ["Content-Type"] = "application/x-www-form-urlencoded" }
end

function request()
  local rt = table.remove(queue, 1) or "exhausted"
  return wrk.format("POST", "/token", headers, "grant_type=refresh_token&refresh_token=" .. rt)
end

function response(status, headers, body)
  local rt = status == 200 and string.match(body, '"refresh_token"%s*:%s*"([^"]+)"')
  if rt then
    queue[#queue + 1] = rt
    ok = ok + 1
  else
    bad = bad + 1
  end
end
