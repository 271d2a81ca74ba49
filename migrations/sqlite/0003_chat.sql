-- Chat messages (SPEC §4): every message a bot or platform hook forwarded,
-- append-only and idempotent by (platform, chat, message id).
CREATE TABLE messages (
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
    PRIMARY KEY (platform, chat_id, message_id)
);

-- Which issues a message raised, joined or acted on (for timelines and replies).
CREATE TABLE message_issues (
    issue        TEXT    NOT NULL,
    platform     TEXT    NOT NULL,
    chat_id      TEXT    NOT NULL,
    message_id   TEXT    NOT NULL,
    at_ms        INTEGER NOT NULL,
    PRIMARY KEY (issue, platform, chat_id, message_id)
);
CREATE INDEX message_issues_by_message ON message_issues (platform, chat_id, message_id);

-- Issues raised from a chat, with who raised them (merge window, staff acks).
CREATE TABLE chat_issues (
    issue        TEXT    PRIMARY KEY,
    platform     TEXT    NOT NULL,
    chat_id      TEXT    NOT NULL,
    raised_by    TEXT    NOT NULL                     -- platform:id of the requester
);
CREATE INDEX chat_issues_by_chat ON chat_issues (platform, chat_id);
