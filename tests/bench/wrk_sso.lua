-- wrk_sso.lua: the SSO hop. GET /authorize with a signed-in session cookie and a
-- remembered consent answers 303 with a code; the next request of the thread exchanges
-- it at /token. `ok` counts finished hops (a 200 token answer).
-- With BENCH_MINT_FILE set it only mints: each code goes to <file>.<thread> and counts.
--   BENCH_AUTHZ_PATH, BENCH_COOKIE, BENCH_AUTH (client Basic), BENCH_TOKEN_PREFIX
--   (form body up to "code="), BENCH_MINT_FILE
dofile(os.getenv("BENCH_DIR") .. "/wrk_report.lua")

function init(args)
  codes = {}
  authz = wrk.format("GET", os.getenv("BENCH_AUTHZ_PATH"), { ["Cookie"] = os.getenv("BENCH_COOKIE") })
  token_headers = { ["Authorization"] = os.getenv("BENCH_AUTH"),
                    ["Content-Type"] = "application/x-www-form-urlencoded" }
  prefix = os.getenv("BENCH_TOKEN_PREFIX") or ""
  local mint = os.getenv("BENCH_MINT_FILE")
  if mint ~= nil and mint ~= "" then
    out = io.open(mint .. "." .. tid, "w")
  end
end

function request()
  if out == nil and #codes > 0 then
    return wrk.format("POST", "/token", token_headers, prefix .. table.remove(codes))
  end
  return authz
end

function response(status, headers, body)
  if status == 303 then
    local loc = headers["Location"] or headers["location"] or ""
    local c = string.match(loc, "[?&]code=([%w_%-]+)")
    if c == nil then bad = bad + 1; return end
    if out ~= nil then
      out:write(c, "\n")
      out:flush()
      ok = ok + 1
    else
      codes[#codes + 1] = c
    end
  elseif status == 200 and out == nil and string.find(body, '"access_token"', 1, true) then
    ok = ok + 1
  else
    bad = bad + 1
  end
end
