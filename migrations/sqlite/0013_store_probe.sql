-- One row the writer rewrites while writes are failing (disk full, read-only,
-- I/O errors), to learn when they succeed again: readiness then comes back by
-- itself. A real change is needed, since a transaction that changes nothing
-- never touches the disk.
CREATE TABLE store_probe (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL
);
