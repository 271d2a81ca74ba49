-- A chat's issues are found by (chat, requester) and point at their issue
-- by number rather than by text key (docs/benchmarks.md, "Chat event ids
-- by message"): each row is about half as long, so the index every new
-- chat issue lands in at a random place (by chat) is half the size, and the
-- lookups join `issues` on its rowid instead of going through its key's
-- index. A row whose issue is unknown (none is expected) is dropped.
CREATE TABLE chat_issues_new (
    platform     TEXT    NOT NULL,
    chat_id      TEXT    NOT NULL,
    raised_by    TEXT    NOT NULL,                    -- platform:id of the requester
    issue_seq    INTEGER NOT NULL,
    PRIMARY KEY (platform, chat_id, raised_by, issue_seq)
) WITHOUT ROWID;
INSERT INTO chat_issues_new
    SELECT c.platform, c.chat_id, c.raised_by, i.seq
    FROM chat_issues c JOIN issues i ON i.issue = c.issue;
DROP TABLE chat_issues;
ALTER TABLE chat_issues_new RENAME TO chat_issues;
