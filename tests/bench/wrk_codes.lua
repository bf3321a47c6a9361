-- wrk_codes.lua: POST /token with a distinct one-time value per request, read from
-- BENCH_CODES (one per line; thread k of BENCH_THREADS takes every n-th line from k).
-- The body is BENCH_BODY_PREFIX .. value. A 200 is ok; when a thread has used all its
-- values it sends "exhausted" (an error the table shows, never a silent reuse).
dofile(os.getenv("BENCH_DIR") .. "/wrk_report.lua")

function init(args)
  values = bench_lines(os.getenv("BENCH_CODES"), tid, tonumber(os.getenv("BENCH_THREADS")))
  idx = 0
  headers = { ["Authorization"] = os.getenv("BENCH_AUTH"),
              ["Content-Type"] = "application/x-www-form-urlencoded" }
  prefix = os.getenv("BENCH_BODY_PREFIX")
end

function request()
  idx = idx + 1
  return wrk.format("POST", os.getenv("BENCH_PATH") or "/token", headers,
                    prefix .. (values[idx] or "exhausted"))
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else bad = bad + 1 end
end
