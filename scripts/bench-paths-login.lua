-- wrk script for scripts/bench-paths.sh: every request is POST /auth/login as the user the script
-- signed up (BENCH_EMAIL, BENCH_PASSWORD), in JSON, asking for a JSON answer.
local email = os.getenv("BENCH_EMAIL") or "bench-paths@example.com"
local password = os.getenv("BENCH_PASSWORD") or "correct horse battery staple"
wrk.method = "POST"
wrk.body = '{"email":"' .. email .. '","password":"' .. password .. '"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
