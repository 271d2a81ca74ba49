-- One covering index of open issues instead of one per stage
-- (docs/benchmarks.md, "One live index"): each new issue wrote an entry into
-- three partial indexes; it now writes one, at the end of its project's
-- range (keyed by the issue number). The live counts (gauges,
-- /v1/projects) read all three stages of an issue from the same entry, so a
-- refresh scans one entry per open issue instead of one per unsettled stage.
-- The queries in src/store/read.rs (`LIVE_ISSUES`) repeat this WHERE word
-- for word, which is what lets SQLite use a partial index.
DROP INDEX issues_ack_live;
DROP INDEX issues_handle_live;
DROP INDEX issues_plan_live;
CREATE INDEX issues_live ON issues (project, seq, status,
        ack_outcome, ack_at_risk_ms, ack_deadline_ms,
        handle_outcome, handle_at_risk_ms, handle_deadline_ms,
        plan_outcome, plan_at_risk_ms, plan_deadline_ms)
    WHERE status IN ('open', 'paused');
