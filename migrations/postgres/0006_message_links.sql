-- Links from issues to their messages keyed by the issue's number rather
-- than its text key, as on SQLite (see migrations/sqlite/0006): new issues'
-- links are appended at the end of the key's index. A link whose issue is
-- unknown (none is expected) has no number and is dropped.
ALTER TABLE message_issues ADD COLUMN issue_seq BIGINT;
UPDATE message_issues l SET issue_seq = i.seq FROM issues i WHERE i.issue = l.issue;
DELETE FROM message_issues WHERE issue_seq IS NULL;
ALTER TABLE message_issues ALTER COLUMN issue_seq SET NOT NULL;
ALTER TABLE message_issues DROP CONSTRAINT message_issues_pkey;
ALTER TABLE message_issues DROP COLUMN issue;
ALTER TABLE message_issues ADD PRIMARY KEY (issue_seq, platform, chat_id, message_id);
