-- The audit log as a transparency log: complete-subtree hashes (level 0 = leaf hashes), signed
-- checkpoints and witness cosignatures. Written in the same transaction as the entry they cover.

CREATE TABLE audit_hashes (
    level BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE audit_checkpoints (
    size BIGINT PRIMARY KEY,
    root BYTEA NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE audit_cosignatures (
    size BIGINT NOT NULL REFERENCES audit_checkpoints (size),
    witness TEXT NOT NULL,
    line TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (size, witness)
);
