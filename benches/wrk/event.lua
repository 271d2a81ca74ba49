-- wrk script for benches/ingest.sh: POST /v1/events with one `raised`
-- event per request. Every request has a unique event id and a unique issue
-- key: run nonce + wrk thread number + per-thread counter. The nonce comes
-- from the NONCE environment variable (ingest.sh sets one per run), else
-- from the clock, so reruns against the same database never collide.
--
--   NONCE=$RANDOM wrk -t2 -c64 -d15s -s benches/wrk/event.lua http://127.0.0.1:8080

local nonce = os.getenv("NONCE") or tostring(os.time())
local thread_counter = 0

function setup(thread)
   thread_counter = thread_counter + 1
   thread:set("thread_id", thread_counter)
end

local counter = 0
local stamp_second = -1
local stamp = ""
local prefix = ""

function init(args)
   -- thread_id is set by setup() in this thread's own Lua state.
   prefix = nonce .. "-" .. tostring(thread_id or 0) .. "-"
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
end

local function now_rfc3339()
   local second = os.time()
   if second ~= stamp_second then
      stamp_second = second
      stamp = os.date("!%Y-%m-%dT%H:%M:%SZ", second)
   end
   return stamp
end

function request()
   counter = counter + 1
   local key = prefix .. counter
   local body = '{"id":"evt-' .. key .. '","issue":"bench-' .. key ..
      '","kind":"raised","at":"' .. now_rfc3339() ..
      '","project":"bench","priority":"normal",' ..
      '"title":"工地因管道抢修停水","text":"主体结构冲刺阶段，急需用水",' ..
      '"actor":{"id":"wang-yz","name":"王永忠","role":"requester"},"attributes":{}}'
   return wrk.format(nil, "/v1/events", nil, body)
end
