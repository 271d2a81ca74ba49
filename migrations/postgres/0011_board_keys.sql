-- The board's keys, as on SQLite (see migrations/sqlite/0012): the earliest
-- deadline of an open issue's running clocks and the earliest instant one of
-- them is at risk, kept by the writer and indexed, so that the board reads a
-- page as short index ranges.
ALTER TABLE issues ADD COLUMN running_deadline_ms BIGINT;
ALTER TABLE issues ADD COLUMN running_at_risk_ms BIGINT;

-- Existing rows: LEAST skips NULLs (NULL only when all are).
UPDATE issues SET
    running_deadline_ms = LEAST(
        CASE WHEN ack_outcome = 'running' THEN ack_deadline_ms END,
        CASE WHEN handle_outcome = 'running' THEN handle_deadline_ms END,
        CASE WHEN plan_outcome = 'running' THEN plan_deadline_ms END),
    running_at_risk_ms = LEAST(
        CASE WHEN ack_outcome = 'running' AND ack_deadline_ms IS NOT NULL
            THEN LEAST(ack_at_risk_ms, ack_deadline_ms) END,
        CASE WHEN handle_outcome = 'running' AND handle_deadline_ms IS NOT NULL
            THEN LEAST(handle_at_risk_ms, handle_deadline_ms) END,
        CASE WHEN plan_outcome = 'running' AND plan_deadline_ms IS NOT NULL
            THEN LEAST(plan_at_risk_ms, plan_deadline_ms) END)
WHERE status IN ('open', 'paused');

CREATE INDEX issues_board ON issues (project, running_deadline_ms, seq) INCLUDE (running_at_risk_ms)
    WHERE status IN ('open', 'paused');
CREATE INDEX issues_board_zone ON issues (running_deadline_ms, seq) INCLUDE (running_at_risk_ms)
    WHERE status IN ('open', 'paused');
CREATE INDEX issues_board_risk ON issues (project, running_deadline_ms, seq) INCLUDE (running_at_risk_ms)
    WHERE status IN ('open', 'paused') AND running_at_risk_ms <= updated_ms;
CREATE INDEX issues_board_zone_risk ON issues (running_deadline_ms, seq) INCLUDE (running_at_risk_ms)
    WHERE status IN ('open', 'paused') AND running_at_risk_ms <= updated_ms;
