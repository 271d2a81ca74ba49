-- A chat's issues point at their issue by number rather than by text key,
-- as on SQLite (see migrations/sqlite/0009): shorter index entries, and
-- lookups join `issues` by number. A row whose issue is unknown (none is
-- expected) has no number and is dropped.
ALTER TABLE chat_issues ADD COLUMN issue_seq BIGINT;
UPDATE chat_issues c SET issue_seq = i.seq FROM issues i WHERE i.issue = c.issue;
DELETE FROM chat_issues WHERE issue_seq IS NULL;
ALTER TABLE chat_issues ALTER COLUMN issue_seq SET NOT NULL;
ALTER TABLE chat_issues DROP CONSTRAINT chat_issues_pkey;
ALTER TABLE chat_issues DROP COLUMN issue;
ALTER TABLE chat_issues ADD PRIMARY KEY (platform, chat_id, raised_by, issue_seq);
