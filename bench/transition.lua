-- The load behind `make bench` (scripts/bench.sh), for wrk: each request posts
-- a record_supervision event to a random project 1..WRK_PROJECTS with the
-- token WRK_TOKEN, over keep-alive connections spread on wrk's threads (as
-- pgbench spreads its clients with -j). At the end one line on stdout:
--   transitions_per_s=N ok=N errors=N p50_ms=N p90_ms=N p99_ms=N max_ms=N
-- A transition counts when the answer was 2xx (the route answers 200 or an
-- error); errors are other answers plus socket errors and timeouts.
local projects = tonumber(os.getenv("WRK_PROJECTS") or "")
local token = os.getenv("WRK_TOKEN")
local seed = tonumber(os.getenv("WRK_SEED") or "1")
if not projects or projects < 1 or not token then
	io.stderr:write("transition.lua: set WRK_PROJECTS and WRK_TOKEN\n")
	os.exit(2)
end

wrk.method = "POST"
wrk.body = '{"event":"record_supervision","payload":{"inspection":"routine visit","finding":"ok"}}'
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"

local threads = 0
function setup(thread)
	threads = threads + 1
	thread:set("thread_no", threads)
end

function init(args)
	-- each thread its own sequence, the same for the same WRK_SEED
	math.randomseed(seed * 7919 + thread_no)
end

function request()
	return wrk.format(nil, "/v1/projects/" .. math.random(1, projects) .. "/events")
end

function done(summary, latency, requests)
	local e = summary.errors
	local ok = summary.requests - e.status
	local seconds = summary.duration / 1e6
	io.write(string.format(
		"transitions_per_s=%.1f ok=%d errors=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
		ok / seconds, ok, e.status + e.connect + e.read + e.write + e.timeout,
		latency:percentile(50) / 1000, latency:percentile(90) / 1000,
		latency:percentile(99) / 1000, latency.max / 1000))
end
