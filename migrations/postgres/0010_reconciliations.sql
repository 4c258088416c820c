-- Each bank's daily statement reconciled against the ledger: how many lines matched and every
-- difference found (docs/bonds.md §5.3). One row per bank and day; a later run replaces it.

CREATE TABLE reconciliations (
    bank TEXT NOT NULL,
    day TEXT NOT NULL,
    ran_at BIGINT NOT NULL,
    matched BIGINT NOT NULL,
    differences TEXT NOT NULL,
    PRIMARY KEY (bank, day)
);
