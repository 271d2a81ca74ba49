-- Issue keys are indexed by their last `:`-separated segment first, then by
-- the whole key (docs/benchmarks.md, "Issue keys indexed by their tail").
-- A chat issue's key is `{platform}:{chat_id}:{message_id}`: indexed by the
-- whole key, every new one landed at a random place (by chat) in the index;
-- by its tail, the message id, it lands next to the previous message's on
-- platforms whose ids grow with time. A key without `:` is its own tail, so
-- other keys keep their order. The index is unique, so keys stay unique.
-- Lookups by key name both columns (Backend::issue_key_is).
CREATE TABLE issues_new (
    seq                INTEGER PRIMARY KEY,
    issue              TEXT    NOT NULL,              -- unique: issues_by_key
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

CREATE UNIQUE INDEX issues_by_key ON issues (substr(issue, length(rtrim(issue, replace(issue, ':', ''))) + 1), issue);
CREATE INDEX issues_by_due ON issues (next_due_ms) WHERE next_due_ms IS NOT NULL;
CREATE INDEX issues_by_project ON issues (project, seq);
CREATE INDEX issues_live ON issues (project, seq, status,
        ack_outcome, ack_at_risk_ms, ack_deadline_ms,
        handle_outcome, handle_at_risk_ms, handle_deadline_ms,
        plan_outcome, plan_at_risk_ms, plan_deadline_ms)
    WHERE status IN ('open', 'paused');
