-- wrk_fixed.lua: one fixed request from the environment; a 2xx answer is ok.
--   BENCH_METHOD, BENCH_PATH, BENCH_BODY (form), BENCH_AUTH (value of Authorization)
dofile(os.getenv("BENCH_DIR") .. "/wrk_report.lua")
wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY")
if body ~= nil and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
local auth = os.getenv("BENCH_AUTH")
if auth ~= nil and auth ~= "" then
  wrk.headers["Authorization"] = auth
end

function response(status, headers, body)
  if status >= 200 and status <= 299 then ok = ok + 1 else bad = bad + 1 end
end
