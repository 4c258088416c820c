-- The live opening: each tender's events in order (the opening's state, page and record are folds
-- over them), and the bid bonds the trading centre has on record.

CREATE TABLE opening_events (
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    -- public, hall, or party (then party_org names the tenderer)
    audience TEXT NOT NULL,
    party_org TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (tender_id, seq)
);
CREATE INDEX opening_events_kind ON opening_events (kind, tender_id);

CREATE TABLE bond_receipts (
    id TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    lot_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    reference TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (tender_id, reference)
);
CREATE INDEX bond_receipts_tender ON bond_receipts (tender_id, lot_id, org_id);
