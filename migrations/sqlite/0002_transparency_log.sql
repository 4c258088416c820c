-- The audit log as a transparency log: complete-subtree hashes (level 0 = leaf hashes), signed
-- checkpoints and witness cosignatures. Written in the same transaction as the entry they cover.

CREATE TABLE audit_hashes (
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

CREATE TABLE audit_checkpoints (
    size INTEGER PRIMARY KEY,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE audit_cosignatures (
    size INTEGER NOT NULL REFERENCES audit_checkpoints (size),
    witness TEXT NOT NULL,
    line TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (size, witness)
);
