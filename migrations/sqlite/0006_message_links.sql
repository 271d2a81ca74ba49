-- Links from issues to their messages keyed by the issue's number rather
-- than its text key (docs/benchmarks.md, chat ingestion): a chat-raised
-- issue's key starts with its chat, so links of new issues landed at random
-- places all over the old key's index; by number they are appended at its
-- end, and the table is keyed by it alone (no separate rowid tree). A link
-- whose issue is unknown (none is expected) has no number and is dropped.
CREATE TABLE message_issues_new (
    issue_seq    INTEGER NOT NULL,
    platform     TEXT    NOT NULL,
    chat_id      TEXT    NOT NULL,
    message_id   TEXT    NOT NULL,
    at_ms        INTEGER NOT NULL,
    PRIMARY KEY (issue_seq, platform, chat_id, message_id)
) WITHOUT ROWID;
INSERT INTO message_issues_new
    SELECT i.seq, l.platform, l.chat_id, l.message_id, l.at_ms
    FROM message_issues l JOIN issues i ON i.issue = l.issue;
DROP TABLE message_issues;
ALTER TABLE message_issues_new RENAME TO message_issues;
