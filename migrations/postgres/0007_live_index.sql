-- One covering index of open issues instead of one per stage, as on SQLite
-- (see migrations/sqlite/0008): a new issue writes one entry instead of
-- three, and the live counts read all three stages of an issue from it.
DROP INDEX issues_ack_live;
DROP INDEX issues_handle_live;
DROP INDEX issues_plan_live;
CREATE INDEX issues_live ON issues (project, seq)
    INCLUDE (status, ack_outcome, ack_at_risk_ms, ack_deadline_ms,
             handle_outcome, handle_at_risk_ms, handle_deadline_ms,
             plan_outcome, plan_at_risk_ms, plan_deadline_ms)
    WHERE status IN ('open', 'paused');
