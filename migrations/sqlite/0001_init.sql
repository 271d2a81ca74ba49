-- The append-only event store and the tables derived from it.
-- Times are Unix milliseconds; booleans are 0/1 integers (same on PostgreSQL).

CREATE TABLE events (
    arrival       INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order
    id            TEXT    NOT NULL UNIQUE,            -- idempotency key
    issue         TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    at_ms         INTEGER NOT NULL,
    received_ms   INTEGER NOT NULL,
    source        TEXT    NOT NULL,
    content       TEXT    NOT NULL                    -- canonical JSON as sent
);
CREATE INDEX events_by_issue ON events (issue, at_ms, arrival);

-- One row per issue key, rewritten whenever its events are folded again.
CREATE TABLE issues (
    issue          TEXT    PRIMARY KEY,
    seq            INTEGER NOT NULL UNIQUE,
    project        TEXT,
    priority       TEXT,
    title          TEXT,
    policy         TEXT,
    status         TEXT    NOT NULL,                  -- unraised | open | paused | closed
    cycle          INTEGER NOT NULL,
    cycle_start_ms INTEGER,
    raised_ms      INTEGER,
    closed_ms      INTEGER,
    resolution     TEXT,
    first_seen_ms  INTEGER NOT NULL,
    updated_ms     INTEGER NOT NULL,
    next_due_ms    INTEGER,                           -- the timer's next visit
    stages         TEXT    NOT NULL                   -- current cycle's clocks, JSON
);
CREATE INDEX issues_by_due ON issues (next_due_ms) WHERE next_due_ms IS NOT NULL;
CREATE INDEX issues_by_project ON issues (project, seq);

-- The current cycle's stage clocks, for filters and live counts.
CREATE TABLE stages (
    issue       TEXT    NOT NULL,
    stage       TEXT    NOT NULL,
    project     TEXT,
    open        INTEGER NOT NULL,                     -- 1 while the issue is open or paused
    outcome     TEXT    NOT NULL,                     -- running | paused | paused_at_risk | met | met_late | breached | waived
    deadline_ms INTEGER,
    at_risk_ms  INTEGER,
    PRIMARY KEY (issue, stage)
);
-- Covers the live counts (gauges, /v1/projects) without touching the table.
CREATE INDEX stages_live ON stages (project, stage, outcome, at_risk_ms, deadline_ms) WHERE open = 1;

-- One record per (issue, stage, cycle start), kept when retracted.
CREATE TABLE breaches (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    issue           TEXT    NOT NULL,
    stage           TEXT    NOT NULL,
    cycle_start_ms  INTEGER NOT NULL,
    cycle           INTEGER NOT NULL,
    project         TEXT,
    deadline_ms     INTEGER NOT NULL,
    met_ms          INTEGER,
    detected_ms     INTEGER NOT NULL,
    detected_late   INTEGER NOT NULL,
    retracted_ms    INTEGER,
    escalation_step INTEGER NOT NULL DEFAULT 0,
    UNIQUE (issue, stage, cycle_start_ms)
);
CREATE INDEX breaches_by_project ON breaches (project, id);
