-- Fewer index entries per chat message, and none at a random place that
-- need not be (docs/benchmarks.md, chat ingestion):
-- 1. Messages are keyed by (platform, message id, chat): most platforms
--    number messages in time order, so new messages append to the key's
--    index instead of landing at a random place in it (by chat).
-- 2. Replies find the issues of the replied message from that message's
--    stored answer, so the index of links by message goes.
-- 3. A chat's issues are keyed by (chat, requester, issue): the one index
--    serves "the open issues of this chat" and "of this requester in this
--    chat" (a requester's message only needs those).
ALTER TABLE messages DROP CONSTRAINT messages_pkey;
ALTER TABLE messages ADD PRIMARY KEY (platform, message_id, chat_id);

DROP INDEX message_issues_by_message;

ALTER TABLE chat_issues DROP CONSTRAINT chat_issues_pkey;
DROP INDEX chat_issues_by_chat;
ALTER TABLE chat_issues ADD PRIMARY KEY (platform, chat_id, raised_by, issue);
