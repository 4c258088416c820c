-- The sealed bid box: each tender's custodian public keys, and the sealed bids (ciphertext lives in
-- blob storage under its SHA-256; nothing here can open it).

CREATE TABLE custodian_keys (
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    idx INTEGER NOT NULL,
    public_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    proof TEXT NOT NULL,
    registered_at INTEGER NOT NULL,
    PRIMARY KEY (tender_id, idx)
);

CREATE TABLE bids (
    id TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    lot_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    salt TEXT NOT NULL,
    commitment TEXT NOT NULL,
    envelope_sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    state TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    log_index INTEGER NOT NULL
);
CREATE INDEX bids_tender ON bids (tender_id, lot_id, state);
CREATE INDEX bids_org ON bids (org_id, tender_id);

-- The opening: shares released by custodians (only after the deadline; published with the
-- opening record), and each bid's outcome.
CREATE TABLE released_shares (
    bid_id TEXT NOT NULL REFERENCES bids (id),
    idx INTEGER NOT NULL,
    released TEXT NOT NULL,
    released_by TEXT NOT NULL,
    released_at INTEGER NOT NULL,
    PRIMARY KEY (bid_id, idx)
);

CREATE TABLE bid_openings (
    bid_id TEXT PRIMARY KEY REFERENCES bids (id),
    tender_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    opened_at INTEGER NOT NULL
);

-- Boxes closed at their deadline, with the number of bids that count.
CREATE TABLE closed_boxes (
    tender_id TEXT PRIMARY KEY REFERENCES tenders (id),
    bid_count INTEGER NOT NULL,
    closed_at INTEGER NOT NULL
);
