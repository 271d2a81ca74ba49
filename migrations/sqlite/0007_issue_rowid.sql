-- The issue number becomes the rowid of `issues` (docs/benchmarks.md): the
-- table was keyed by an implicit rowid with the number in a unique index of
-- its own, one more B-tree to write for every issue written. Same columns
-- and the same unique keys (`issue`, `seq`), so a version that predates
-- this migration still reads and writes the table.
CREATE TABLE issues_new (
    seq                INTEGER PRIMARY KEY,
    issue              TEXT    NOT NULL UNIQUE,
    project            TEXT,
    priority           TEXT,
    title              TEXT,
    policy             TEXT,
    status             TEXT    NOT NULL,              -- unraised | open | paused | closed
    cycle              INTEGER NOT NULL,
    cycle_start_ms     INTEGER,
    raised_ms          INTEGER,
    closed_ms          INTEGER,
    resolution         TEXT,
    first_seen_ms      INTEGER NOT NULL,
    updated_ms         INTEGER NOT NULL,
    next_due_ms        INTEGER,                       -- the timer's next visit
    stages             TEXT    NOT NULL,              -- current cycle's clocks, JSON
    ack_outcome        TEXT,
    ack_deadline_ms    INTEGER,
    ack_at_risk_ms     INTEGER,
    handle_outcome     TEXT,
    handle_deadline_ms INTEGER,
    handle_at_risk_ms  INTEGER,
    plan_outcome       TEXT,
    plan_deadline_ms   INTEGER,
    plan_at_risk_ms    INTEGER
);
INSERT INTO issues_new (seq, issue, project, priority, title, policy, status, cycle, cycle_start_ms,
        raised_ms, closed_ms, resolution, first_seen_ms, updated_ms, next_due_ms, stages,
        ack_outcome, ack_deadline_ms, ack_at_risk_ms, handle_outcome, handle_deadline_ms,
        handle_at_risk_ms, plan_outcome, plan_deadline_ms, plan_at_risk_ms)
    SELECT seq, issue, project, priority, title, policy, status, cycle, cycle_start_ms,
        raised_ms, closed_ms, resolution, first_seen_ms, updated_ms, next_due_ms, stages,
        ack_outcome, ack_deadline_ms, ack_at_risk_ms, handle_outcome, handle_deadline_ms,
        handle_at_risk_ms, plan_outcome, plan_deadline_ms, plan_at_risk_ms
    FROM issues ORDER BY seq;
DROP TABLE issues;
ALTER TABLE issues_new RENAME TO issues;

CREATE INDEX issues_by_due ON issues (next_due_ms) WHERE next_due_ms IS NOT NULL;
CREATE INDEX issues_by_project ON issues (project, seq);
-- As in migration 4, word for word (the live-count queries must match).
CREATE INDEX issues_ack_live ON issues (project, ack_outcome, ack_at_risk_ms, ack_deadline_ms, seq, status)
    WHERE status IN ('open', 'paused') AND ack_outcome IN ('running', 'paused', 'paused_at_risk');
CREATE INDEX issues_handle_live ON issues (project, handle_outcome, handle_at_risk_ms, handle_deadline_ms, seq, status)
    WHERE status IN ('open', 'paused') AND handle_outcome IN ('running', 'paused', 'paused_at_risk');
CREATE INDEX issues_plan_live ON issues (project, plan_outcome, plan_at_risk_ms, plan_deadline_ms, seq, status)
    WHERE status IN ('open', 'paused') AND plan_outcome IN ('running', 'paused', 'paused_at_risk');
