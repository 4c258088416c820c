-- Organisations, users, sessions, keys, projects, tenders, documents and the audit log.
-- Times are integer milliseconds since the Unix epoch, UTC. Money is integer fen.

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    credit_code TEXT NOT NULL UNIQUE,
    region TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_digest TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE signing_keys (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    label TEXT NOT NULL,
    public_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    owner_org_id TEXT NOT NULL REFERENCES organisations (id),
    agent_org_id TEXT REFERENCES organisations (id),
    name TEXT NOT NULL,
    code TEXT NOT NULL,
    region TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX projects_owner ON projects (owner_org_id);
CREATE INDEX projects_agent ON projects (agent_org_id);

CREATE TABLE tenders (
    -- A stable row number: the search index refers to rows by it.
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    project_id TEXT NOT NULL REFERENCES projects (id),
    owner_org_id TEXT NOT NULL,
    agent_org_id TEXT,
    state TEXT NOT NULL,
    title TEXT NOT NULL,
    category TEXT NOT NULL,
    region TEXT NOT NULL,
    bid_deadline BIGINT NOT NULL,
    total_estimate BIGINT NOT NULL,
    published_at BIGINT,
    documents_issued_at BIGINT,
    search_text TEXT NOT NULL,
    spec TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX tenders_board ON tenders (state, published_at);
CREATE INDEX tenders_deadline ON tenders (state, bid_deadline);
CREATE INDEX tenders_category ON tenders (category, state, published_at);
CREATE INDEX tenders_region ON tenders (region, state, published_at);
CREATE INDEX tenders_owner ON tenders (owner_org_id);
CREATE INDEX tenders_agent ON tenders (agent_org_id);

-- Substring search over the board's text: a trigram index answers LIKE '%term%'.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX tenders_search ON tenders USING gin (search_text gin_trgm_ops);

CREATE TABLE amendments (
    id TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    number BIGINT NOT NULL,
    body TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    UNIQUE (tender_id, number)
);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    state TEXT NOT NULL,
    amendment_id TEXT REFERENCES amendments (id),
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX documents_tender ON documents (tender_id);

CREATE TABLE obtained (
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    org_id TEXT NOT NULL REFERENCES organisations (id),
    salt TEXT NOT NULL,
    commitment TEXT NOT NULL,
    obtained_at BIGINT NOT NULL,
    PRIMARY KEY (tender_id, org_id)
);

CREATE TABLE audit_log (
    idx BIGINT PRIMARY KEY,
    tender_id TEXT,
    kind TEXT NOT NULL,
    entry BYTEA NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX audit_log_tender ON audit_log (tender_id, idx);
