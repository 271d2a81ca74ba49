-- The board filtered to one stage (docs/pages.md, "Speed at scale"), read
-- as the whole board is (src/store/board.rs): by that stage's own clock, in
-- short ranges of these indexes, never the whole set.
--
-- Each stage's running clocks by deadline, zone-wide; the project and the
-- warning time ride along, so a project's page and the tier filters read
-- index entries, not rows. Only running clocks are held: a met, waived or
-- frozen clock leaves its entry.
CREATE INDEX issues_ack_board ON issues (ack_deadline_ms, seq) INCLUDE (ack_at_risk_ms, project)
    WHERE status IN ('open', 'paused') AND ack_outcome = 'running';
CREATE INDEX issues_handle_board ON issues (handle_deadline_ms, seq) INCLUDE (handle_at_risk_ms, project)
    WHERE status IN ('open', 'paused') AND handle_outcome = 'running';
CREATE INDEX issues_plan_board ON issues (plan_deadline_ms, seq) INCLUDE (plan_at_risk_ms, project)
    WHERE status IN ('open', 'paused') AND plan_outcome = 'running';

-- Of those, the clocks at risk (or overdue) when their row was last written:
-- a stage board's at-risk tier, as `issues_board_risk` is the board's.
CREATE INDEX issues_ack_board_risk ON issues (ack_deadline_ms, seq) INCLUDE (ack_at_risk_ms, project)
    WHERE status IN ('open', 'paused') AND ack_outcome = 'running' AND ack_at_risk_ms <= updated_ms;
CREATE INDEX issues_handle_board_risk ON issues (handle_deadline_ms, seq) INCLUDE (handle_at_risk_ms, project)
    WHERE status IN ('open', 'paused') AND handle_outcome = 'running' AND handle_at_risk_ms <= updated_ms;
CREATE INDEX issues_plan_board_risk ON issues (plan_deadline_ms, seq) INCLUDE (plan_at_risk_ms, project)
    WHERE status IN ('open', 'paused') AND plan_outcome = 'running' AND plan_at_risk_ms <= updated_ms;

-- Open issues with a frozen clock (paused): a stage board's last tier, by
-- number. Few rows; the stage is a filter on them.
CREATE INDEX issues_paused_board ON issues (seq) INCLUDE (project)
    WHERE status IN ('open', 'paused') AND (ack_outcome IN ('paused', 'paused_at_risk')
    OR handle_outcome IN ('paused', 'paused_at_risk') OR plan_outcome IN ('paused', 'paused_at_risk'));
