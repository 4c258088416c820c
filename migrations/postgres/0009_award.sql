-- Evaluation, candidates, award and contract: each tender's award events in order (the stage,
-- the public view and the evaluation report are folds over them), and the committee members'
-- one-time evaluation codes and scoped tokens, kept only as SHA-256 digests.

CREATE TABLE award_events (
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

CREATE TABLE evaluation_codes (
    code_sha256 TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    seat BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX evaluation_codes_seat ON evaluation_codes (tender_id, seat);

CREATE TABLE evaluation_tokens (
    token_sha256 TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    seat BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
