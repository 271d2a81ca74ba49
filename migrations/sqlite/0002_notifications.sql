-- The notification outbox: rows are written in the same transaction as the
-- state change that causes them, and delivered by the dispatcher.
CREATE TABLE notifications (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery         TEXT    NOT NULL UNIQUE,   -- stable across retries (webhook-id)
    channel          TEXT    NOT NULL,
    kind             TEXT    NOT NULL,          -- warning | breach | escalation | retraction | daily_digest
    issue            TEXT,
    project          TEXT,
    stage            TEXT,
    payload          TEXT    NOT NULL,          -- the notification's facts, JSON
    state            TEXT    NOT NULL,          -- pending | delivered | failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms  INTEGER NOT NULL,
    claimed_until_ms INTEGER,                   -- a dispatcher's lease
    last_error       TEXT,
    created_ms       INTEGER NOT NULL,
    delivered_ms     INTEGER
);
CREATE INDEX notifications_due ON notifications (next_attempt_ms) WHERE state = 'pending';
CREATE INDEX notifications_by_state ON notifications (state, id);
