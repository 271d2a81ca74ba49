-- Fewer and cheaper index entries per ingested event (docs/benchmarks.md).
-- 1. Events find their issue by its integer `seq` rather than by the text
--    key: a new issue's events are appended at the end of the index instead
--    of at a random place in it.
-- 2. The current cycle's stage clocks move from the `stages` table (a row,
--    its primary key and a covering entry per stage, all keyed by the text
--    key) into columns of `issues`; one partial covering index per stage
--    serves the live counts (gauges, /v1/projects).

ALTER TABLE events ADD COLUMN issue_seq INTEGER NOT NULL DEFAULT 0;
UPDATE events SET issue_seq = COALESCE((SELECT i.seq FROM issues i WHERE i.issue = events.issue), 0);
DROP INDEX events_by_issue;
CREATE INDEX events_by_issue_seq ON events (issue_seq, at_ms, arrival);

-- outcome: running | paused | paused_at_risk | met | met_late | breached | waived;
-- NULL when the issue has no current cycle.
ALTER TABLE issues ADD COLUMN ack_outcome TEXT;
ALTER TABLE issues ADD COLUMN ack_deadline_ms INTEGER;
ALTER TABLE issues ADD COLUMN ack_at_risk_ms INTEGER;
ALTER TABLE issues ADD COLUMN handle_outcome TEXT;
ALTER TABLE issues ADD COLUMN handle_deadline_ms INTEGER;
ALTER TABLE issues ADD COLUMN handle_at_risk_ms INTEGER;
ALTER TABLE issues ADD COLUMN plan_outcome TEXT;
ALTER TABLE issues ADD COLUMN plan_deadline_ms INTEGER;
ALTER TABLE issues ADD COLUMN plan_at_risk_ms INTEGER;

UPDATE issues SET
    ack_outcome = (SELECT s.outcome FROM stages s WHERE s.issue = issues.issue AND s.stage = 'ack'),
    ack_deadline_ms = (SELECT s.deadline_ms FROM stages s WHERE s.issue = issues.issue AND s.stage = 'ack'),
    ack_at_risk_ms = (SELECT s.at_risk_ms FROM stages s WHERE s.issue = issues.issue AND s.stage = 'ack'),
    handle_outcome = (SELECT s.outcome FROM stages s WHERE s.issue = issues.issue AND s.stage = 'handle'),
    handle_deadline_ms = (SELECT s.deadline_ms FROM stages s WHERE s.issue = issues.issue AND s.stage = 'handle'),
    handle_at_risk_ms = (SELECT s.at_risk_ms FROM stages s WHERE s.issue = issues.issue AND s.stage = 'handle'),
    plan_outcome = (SELECT s.outcome FROM stages s WHERE s.issue = issues.issue AND s.stage = 'plan'),
    plan_deadline_ms = (SELECT s.deadline_ms FROM stages s WHERE s.issue = issues.issue AND s.stage = 'plan'),
    plan_at_risk_ms = (SELECT s.at_risk_ms FROM stages s WHERE s.issue = issues.issue AND s.stage = 'plan');

DROP TABLE stages;

-- Unsettled stages of open (or paused) issues only: the live counts read
-- these indexes alone (`status` is there so that they cover the queries).
-- The WHERE clauses must stay word for word those of
-- the queries in src/store/read.rs (`live_stages`) for SQLite to use them.
CREATE INDEX issues_ack_live ON issues (project, ack_outcome, ack_at_risk_ms, ack_deadline_ms, seq, status)
    WHERE status IN ('open', 'paused') AND ack_outcome IN ('running', 'paused', 'paused_at_risk');
CREATE INDEX issues_handle_live ON issues (project, handle_outcome, handle_at_risk_ms, handle_deadline_ms, seq, status)
    WHERE status IN ('open', 'paused') AND handle_outcome IN ('running', 'paused', 'paused_at_risk');
CREATE INDEX issues_plan_live ON issues (project, plan_outcome, plan_at_risk_ms, plan_deadline_ms, seq, status)
    WHERE status IN ('open', 'paused') AND plan_outcome IN ('running', 'paused', 'paused_at_risk');
