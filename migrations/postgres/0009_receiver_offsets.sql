-- Where a polling receiver resumes (src/receivers/telegram.rs): the next
-- `getUpdates` offset of each bot, keyed `telegram:{bot id}`. Written after
-- the updates before it were committed, so a restart neither loses an
-- update nor acts on one twice (a repeat is a stored message already).
CREATE TABLE receiver_offsets (
    receiver     TEXT    PRIMARY KEY,
    next_offset  BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL                      -- Unix milliseconds
);
