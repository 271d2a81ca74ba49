-- Fewer index entries per chat message, and none at a random place that
-- need not be (docs/benchmarks.md, chat ingestion):
-- 1. Messages are keyed by (platform, message id, chat): most platforms
--    number messages in time order, so new messages append to the key's
--    index instead of landing at a random place in it (by chat). The
--    table is keyed by it alone (no separate rowid tree).
-- 2. Replies find the issues of the replied message from that message's
--    stored answer, so the index of links by message goes.
-- 3. A chat's issues are keyed by (chat, requester, issue): the one tree
--    serves "the open issues of this chat" and "of this requester in this
--    chat" (a requester's message only needs those).
CREATE TABLE messages_new (
    platform     TEXT    NOT NULL,
    chat_id      TEXT    NOT NULL,
    message_id   TEXT    NOT NULL,
    sender_id    TEXT    NOT NULL,
    sender_name  TEXT,
    text         TEXT    NOT NULL,
    at_ms        INTEGER NOT NULL,
    reply_to     TEXT,
    mentions     TEXT    NOT NULL,                    -- JSON array
    source       TEXT    NOT NULL,                    -- token or hook that delivered it
    received_ms  INTEGER NOT NULL,
    actions      TEXT    NOT NULL,                    -- JSON: what the message did, [{issue, kind}]
    PRIMARY KEY (platform, message_id, chat_id)
) WITHOUT ROWID;
INSERT INTO messages_new SELECT platform, chat_id, message_id, sender_id, sender_name, text, at_ms, reply_to,
    mentions, source, received_ms, actions FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;

DROP INDEX message_issues_by_message;

CREATE TABLE chat_issues_new (
    platform     TEXT    NOT NULL,
    chat_id      TEXT    NOT NULL,
    raised_by    TEXT    NOT NULL,                    -- platform:id of the requester
    issue        TEXT    NOT NULL,
    PRIMARY KEY (platform, chat_id, raised_by, issue)
) WITHOUT ROWID;
INSERT INTO chat_issues_new SELECT platform, chat_id, raised_by, issue FROM chat_issues;
DROP TABLE chat_issues;
ALTER TABLE chat_issues_new RENAME TO chat_issues;
