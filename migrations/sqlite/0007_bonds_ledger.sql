-- Bonds paid by bank transfer (docs/bonds.md §6): the virtual sub-accounts, the performance bonds
-- the award expects, the bank's notifications as received, the double-entry ledger (transactions
-- and their postings; balances are sums over postings, never stored) and the refund outbox.

CREATE TABLE bond_sub_accounts (
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    tenderer_id TEXT NOT NULL,
    bank TEXT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    attempt INTEGER NOT NULL,
    opened_at INTEGER NOT NULL,
    PRIMARY KEY (tender_id, tenderer_id)
);

CREATE TABLE performance_bonds_expected (
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    tenderer_id TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    due_by INTEGER NOT NULL,
    PRIMARY KEY (tender_id, tenderer_id)
);

CREATE TABLE bank_notifications (
    bank TEXT NOT NULL,
    bank_txn_id TEXT NOT NULL,
    -- credit (money received) or refund_paid (the bank's confirmation)
    kind TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    -- recorded or flagged
    outcome TEXT NOT NULL,
    reason TEXT,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (bank, bank_txn_id)
);

CREATE TABLE ledger_transactions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    -- the (tender, tenderer) whose bonds it moves; empty for money that names neither
    tender_id TEXT,
    tenderer_id TEXT,
    at INTEGER NOT NULL,
    memo TEXT NOT NULL,
    -- a person's words (a forfeiture's reason), beside the memo's
    note TEXT
);
CREATE INDEX ledger_transactions_scope ON ledger_transactions (tender_id, tenderer_id, seq);

CREATE TABLE ledger_postings (
    seq INTEGER NOT NULL REFERENCES ledger_transactions (seq),
    n INTEGER NOT NULL,
    account TEXT NOT NULL,
    side TEXT NOT NULL,
    fen INTEGER NOT NULL,
    PRIMARY KEY (seq, n)
);
CREATE INDEX ledger_postings_account ON ledger_postings (account);

CREATE TABLE refund_outbox (
    instruction_id TEXT PRIMARY KEY,
    tender_id TEXT,
    tenderer_id TEXT,
    bank TEXT NOT NULL,
    to_account TEXT NOT NULL,
    to_name TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    due_by INTEGER NOT NULL,
    article TEXT NOT NULL,
    -- pending, accepted, paid
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX refund_outbox_due ON refund_outbox (state, next_attempt_at);
CREATE INDEX refund_outbox_tender ON refund_outbox (tender_id);
