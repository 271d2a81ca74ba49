-- One row the writer rewrites while writes are failing (disk full, read-only,
-- I/O errors), to learn when they succeed again: readiness then comes back by
-- itself. A real change is needed, since a transaction that changes nothing
-- writes no log.
CREATE TABLE store_probe (
    id BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL
);
