-- The board's keys (docs/pages.md, "Speed at scale"). Each open issue keeps
-- the earliest deadline of its current cycle's running clocks and the
-- earliest instant one of them is at risk (its warning time, never past its
-- deadline); NULL when no clock runs. The writer sets both with every row it
-- writes (src/store/rows.rs, `BOARD_COLUMNS`, from the same clocks the timer
-- schedules), so the board reads a page as short ranges of these indexes:
-- past the deadline, at risk, the rest by deadline, no running clock by
-- number, never the whole set.
ALTER TABLE issues ADD COLUMN running_deadline_ms INTEGER;
ALTER TABLE issues ADD COLUMN running_at_risk_ms INTEGER;

-- Existing rows: the same values from the stage columns. A clock runs when
-- its outcome is 'running' (unmet, not waived, not frozen by a pause);
-- SQLite's MIN(a, b, c) is NULL when any is, hence the COALESCE/NULLIF.
UPDATE issues SET
    running_deadline_ms = NULLIF(MIN(
        COALESCE(CASE WHEN ack_outcome = 'running' THEN ack_deadline_ms END, 9223372036854775807),
        COALESCE(CASE WHEN handle_outcome = 'running' THEN handle_deadline_ms END, 9223372036854775807),
        COALESCE(CASE WHEN plan_outcome = 'running' THEN plan_deadline_ms END, 9223372036854775807)),
        9223372036854775807),
    running_at_risk_ms = NULLIF(MIN(
        COALESCE(CASE WHEN ack_outcome = 'running' AND ack_deadline_ms IS NOT NULL THEN
            CASE WHEN ack_at_risk_ms IS NOT NULL AND ack_at_risk_ms < ack_deadline_ms
                THEN ack_at_risk_ms ELSE ack_deadline_ms END END, 9223372036854775807),
        COALESCE(CASE WHEN handle_outcome = 'running' AND handle_deadline_ms IS NOT NULL THEN
            CASE WHEN handle_at_risk_ms IS NOT NULL AND handle_at_risk_ms < handle_deadline_ms
                THEN handle_at_risk_ms ELSE handle_deadline_ms END END, 9223372036854775807),
        COALESCE(CASE WHEN plan_outcome = 'running' AND plan_deadline_ms IS NOT NULL THEN
            CASE WHEN plan_at_risk_ms IS NOT NULL AND plan_at_risk_ms < plan_deadline_ms
                THEN plan_at_risk_ms ELSE plan_deadline_ms END END, 9223372036854775807)),
        9223372036854775807)
WHERE status IN ('open', 'paused');

-- Open issues by running deadline, per project and for the whole zone
-- (the at-risk time rides along, so the filters need no table row).
CREATE INDEX issues_board ON issues (project, running_deadline_ms, seq, running_at_risk_ms)
    WHERE status IN ('open', 'paused');
CREATE INDEX issues_board_zone ON issues (running_deadline_ms, seq, running_at_risk_ms)
    WHERE status IN ('open', 'paused');
-- Open issues that were at risk (or overdue) when their row was last
-- written: the at-risk part of the board. An issue that reaches its warning
-- time after its last write is rewritten by the timer's visit at that time
-- (a warning is on its agenda); until then the board finds it among the
-- timer's due issues (`issues_by_due`).
CREATE INDEX issues_board_risk ON issues (project, running_deadline_ms, seq, running_at_risk_ms)
    WHERE status IN ('open', 'paused') AND running_at_risk_ms <= updated_ms;
CREATE INDEX issues_board_zone_risk ON issues (running_deadline_ms, seq, running_at_risk_ms)
    WHERE status IN ('open', 'paused') AND running_at_risk_ms <= updated_ms;
