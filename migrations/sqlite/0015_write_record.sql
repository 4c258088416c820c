-- The record of every write by a signed-in user (src/write_record.rs): when, who, which route,
-- the answer's status and the client's address. Not part of the public audit log. No foreign
-- keys: a write to a tender that does not exist is recorded too.
CREATE TABLE write_record (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    role TEXT NOT NULL,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    tender_id TEXT,
    status INTEGER NOT NULL,
    address TEXT
);
CREATE INDEX write_record_by_tender ON write_record (tender_id, seq);
