-- wrk script for benches/ingest.sh: POST /v1/events with an array of
-- BATCH (default 1000) `raised` events per request, each with a unique
-- event id and issue key (run nonce + wrk thread number + counter).
--
--   NONCE=$RANDOM BATCH=1000 wrk -t1 -c4 -d15s --timeout 30s \
--     -s benches/wrk/batch.lua http://127.0.0.1:8080

local nonce = os.getenv("NONCE") or tostring(os.time())
local batch = tonumber(os.getenv("BATCH") or "1000")
local thread_counter = 0

function setup(thread)
   thread_counter = thread_counter + 1
   thread:set("thread_id", thread_counter)
end

local counter = 0
local prefix = ""

function init(args)
   prefix = "b" .. nonce .. "-" .. tostring(thread_id or 0) .. "-"
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   local at = os.date("!%Y-%m-%dT%H:%M:%SZ")
   local items = {}
   for i = 1, batch do
      counter = counter + 1
      local key = prefix .. counter
      items[i] = '{"id":"evt-' .. key .. '","issue":"bench-' .. key ..
         '","kind":"raised","at":"' .. at ..
         '","project":"bench","priority":"normal",' ..
         '"title":"工地因管道抢修停水","text":"主体结构冲刺阶段，急需用水",' ..
         '"actor":{"id":"wang-yz","name":"王永忠","role":"requester"},"attributes":{}}'
   end
   return wrk.format(nil, "/v1/events", nil, "[" .. table.concat(items, ",") .. "]")
end
