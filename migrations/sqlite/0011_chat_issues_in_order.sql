-- Chat issues are kept by issue number (docs/benchmarks.md, "Chat issues in
-- issue order"). Ordered by chat, every new chat issue landed at a random
-- place in the table; by number, it is appended. The writer, the only one
-- that writes on SQLite, finds a chat's open issues through an index of its
-- own, read once from this table (store::chat::ChatIssueIndex).
CREATE TABLE chat_issues_new (
    issue_seq    INTEGER PRIMARY KEY,
    platform     TEXT    NOT NULL,
    chat_id      TEXT    NOT NULL,
    raised_by    TEXT    NOT NULL                     -- platform:id of the requester
);
INSERT OR IGNORE INTO chat_issues_new (issue_seq, platform, chat_id, raised_by)
    SELECT issue_seq, platform, chat_id, raised_by FROM chat_issues ORDER BY issue_seq;
DROP TABLE chat_issues;
ALTER TABLE chat_issues_new RENAME TO chat_issues;
