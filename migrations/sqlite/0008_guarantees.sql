-- Electronic guarantees (电子保函): the banks and insurers whose signed guarantees the platform
-- accepts, and the verified guarantees tenderers gave (docs/guarantees.md).

CREATE TABLE guarantee_issuers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- uncompressed SEC1 P-256 point, base64
    public_key TEXT NOT NULL,
    registered_at INTEGER NOT NULL
);

CREATE TABLE guarantees (
    id TEXT PRIMARY KEY,
    issuer_id TEXT NOT NULL REFERENCES guarantee_issuers (id),
    guarantee_number TEXT NOT NULL,
    kind TEXT NOT NULL,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    lot_id TEXT,
    tenderer_id TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    valid_from INTEGER NOT NULL,
    valid_until INTEGER NOT NULL,
    -- the RFC 8785 bytes the issuer signed, and its signature (base64)
    document TEXT NOT NULL,
    signature TEXT NOT NULL,
    -- opens the audit entry's commitment to (tender, lot, tenderer) at the opening
    salt TEXT NOT NULL,
    uploaded_at INTEGER NOT NULL,
    UNIQUE (issuer_id, guarantee_number)
);
CREATE INDEX guarantees_tender ON guarantees (tender_id, lot_id, tenderer_id);
