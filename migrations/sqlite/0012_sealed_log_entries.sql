-- The facts behind sealed audit-log entries (docs/audit-log.md, "Sealed entries"): which tender,
-- who and what, with the salt of the entry's commitment. Served from the tender's opening on.
CREATE TABLE audit_sealed (
    idx BIGINT PRIMARY KEY,
    tender_id TEXT NOT NULL,
    salt BLOB NOT NULL,
    facts BLOB NOT NULL
);

CREATE INDEX audit_sealed_tender ON audit_sealed (tender_id, idx);
