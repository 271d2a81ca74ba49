-- wrk script for benches/messages.sh: POST /v1/messages with group
-- conversations rather than first messages alone. Each wrk thread runs
-- 1000 conversations at a time, one per mapped group (threads use disjoint
-- groups of grp-0 … grp-1999), modelled on the water-supply case of the
-- chat issue:
--
--   0 requester  reports a problem                 → raised
--   1 requester  adds a detail (merge window)      → joined
--   2 staff      answers                           → acknowledged
--   3 requester  thanks                            → nothing (pleasantry)
--   4 staff      #已处理 …                          → handled
--   5 staff      #计划 …                            → planned
--   6 staff      #已解决                            → closed
--
-- Step s of conversation j is request s × 1000 + j of its thread, so one
-- conversation's messages are about a thousand requests apart and reach
-- the server in order. After seven steps the thread starts 1000 new
-- conversations (new requesters) in the same groups. Message ids are unique
-- per run (NONCE + thread + counter).
--
--   NONCE=$RANDOM wrk -t2 -c64 -d15s -s benches/wrk/conversation.lua http://127.0.0.1:8080

local nonce = os.getenv("NONCE") or tostring(os.time())
local thread_counter = 0

function setup(thread)
   thread_counter = thread_counter + 1
   thread:set("thread_id", thread_counter)
end

local CONVERSATIONS = 1000
local counter = -1
local stamp_second = -1
local stamp = ""
local prefix = ""
local group_base = 0

local steps = {
   { false, "工地附近管道抢修，马上停水，主体结构浇筑怎么办？" },
   { false, "下午还要浇筑，停水会影响养护" },
   { true, "收到，我们马上联系水务公司" },
   { false, "好的，谢谢" },
   { true, "#已处理 已安排应急供水车，下午一点到场" },
   { true, "#计划 明早八点前完成管道修复，恢复供水" },
   { true, "#已解决" },
}

function init(args)
   local id = tonumber(thread_id or 1)
   prefix = nonce .. "-" .. tostring(id) .. "-"
   group_base = ((id - 1) * CONVERSATIONS) % 2000
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
   local conversation = counter % CONVERSATIONS
   local round = math.floor(counter / (CONVERSATIONS * #steps))
   local step = math.floor(counter / CONVERSATIONS) % #steps
   local staff, text = steps[step + 1][1], steps[step + 1][2]
   local sender, name = "wxid_staff", "服务专员"
   if not staff then
      sender, name = "wxid-" .. prefix .. round .. "-" .. conversation, "王永忠"
   end
   local body = '{"platform":"wechat","message_id":"m-' .. prefix .. counter ..
      '","chat_id":"grp-' .. tostring(group_base + conversation) ..
      '","sender":{"id":"' .. sender .. '","name":"' .. name .. '"},' ..
      '"text":"' .. text .. '","at":"' .. now_rfc3339() ..
      '","reply_to":null,"mentions":[]}'
   return wrk.format(nil, "/v1/messages", nil, body)
end
