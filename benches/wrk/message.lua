-- wrk script for benches/messages.sh: POST /v1/messages with one chat
-- message per request. Each request is a requester's first message in one
-- of 2000 mapped groups (chat grp-0 … grp-1999), from a sender never seen
-- before, about a matter none of the group's open issues is about (eight
-- problems in turn, then again after "另外"), so each one raises an issue: the chat counterpart of
-- one `raised` event. Groups soon hold many open issues, so each message is
-- classified against the most the classifier looks at (10): the worst case.
-- Message ids are unique per run (NONCE + thread + counter), or, with
-- MESSAGE_IDS=uuid, random UUID-like ids as Feishu, DingTalk and WeCom send.
--
--   NONCE=$RANDOM wrk -t2 -c64 -d15s -s benches/wrk/message.lua http://127.0.0.1:8080

local nonce = os.getenv("NONCE") or tostring(os.time())
local thread_counter = 0

function setup(thread)
   thread_counter = thread_counter + 1
   thread:set("thread_id", thread_counter)
end

local counter = 0
local uuid_ids = os.getenv("MESSAGE_IDS") == "uuid"
local problems = {
   "工地附近管道抢修，马上停水，主体结构浇筑怎么办？",
   "厂区10kV进线跳闸了，车间全部停电，能帮忙联系供电公司吗？",
   "员工宿舍的空调坏了好几间，能不能协调物业尽快修？",
   "施工许可证变更提交两周还在审核中，住建局能帮忙加快吗？",
   "专线断网了，WMS系统登不上，能帮忙报修吗？",
   "出口退税两个月没到账，资金压力很大，税务局那边能催一下吗？",
   "大门口道路塌了个坑，货车进不来，能派人看看吗？",
   "新招的五十个工人下周进厂，能帮忙对接人社局吗？",
}

local function uuid()
   local hex = "0123456789abcdef"
   local out = {}
   for i = 1, 32 do
      local n = math.random(1, 16)
      out[i] = hex:sub(n, n)
   end
   local s = table.concat(out)
   return s:sub(1, 8) .. "-" .. s:sub(9, 12) .. "-4" .. s:sub(14, 16) .. "-" .. s:sub(17, 20) .. "-" .. s:sub(21, 32)
end
local stamp_second = -1
local stamp = ""
local prefix = ""

function init(args)
   prefix = nonce .. "-" .. tostring(thread_id or 0) .. "-"
   math.randomseed(os.time() * 1000 + (thread_id or 0))
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
   local message_id = "m-" .. key
   if uuid_ids then
      message_id = uuid()
   end
   -- After the first eight, a problem comes back while its issue is open:
   -- "另外" says it is another matter all the same.
   local round = math.floor(counter / 2000)
   local text = problems[round % #problems + 1]
   if round >= #problems then
      text = "另外，" .. text
   end
   local body = '{"platform":"wechat","message_id":"' .. message_id ..
      '","chat_id":"grp-' .. tostring(counter % 2000) ..
      '","sender":{"id":"wxid-' .. key .. '","name":"王永忠"},' ..
      '"text":"' .. text .. '","at":"' .. now_rfc3339() ..
      '","reply_to":null,"mentions":[]}'
   return wrk.format(nil, "/v1/messages", nil, body)
end
