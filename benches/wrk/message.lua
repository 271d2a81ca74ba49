-- wrk script for benches/messages.sh: POST /v1/messages with one chat
-- message per request. Each request is a requester's first message in one
-- of 2000 mapped groups (chat grp-0 … grp-1999), from a sender never seen
-- before, so each one raises an issue: the chat counterpart of one `raised`
-- event. Message ids are unique per run (NONCE + thread + counter).
--
--   NONCE=$RANDOM wrk -t2 -c64 -d15s -s benches/wrk/message.lua http://127.0.0.1:8080

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
   local body = '{"platform":"wechat","message_id":"m-' .. key ..
      '","chat_id":"grp-' .. tostring(counter % 2000) ..
      '","sender":{"id":"wxid-' .. key .. '","name":"王永忠"},' ..
      '"text":"工地附近管道抢修，马上停水，主体结构浇筑怎么办？","at":"' .. now_rfc3339() ..
      '","reply_to":null,"mentions":[]}'
   return wrk.format(nil, "/v1/messages", nil, body)
end
