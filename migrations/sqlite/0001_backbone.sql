-- Organisations, users, sessions, keys, projects, tenders, documents and the audit log.
-- Times are integer milliseconds since the Unix epoch, UTC. Money is integer fen.

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    credit_code TEXT NOT NULL UNIQUE,
    region TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_digest TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE signing_keys (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    label TEXT NOT NULL,
    public_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    owner_org_id TEXT NOT NULL REFERENCES organisations (id),
    agent_org_id TEXT REFERENCES organisations (id),
    name TEXT NOT NULL,
    code TEXT NOT NULL,
    region TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX projects_owner ON projects (owner_org_id);
CREATE INDEX projects_agent ON projects (agent_org_id);

CREATE TABLE tenders (
    -- A stable row number: the search index refers to rows by it.
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    project_id TEXT NOT NULL REFERENCES projects (id),
    owner_org_id TEXT NOT NULL,
    agent_org_id TEXT,
    state TEXT NOT NULL,
    title TEXT NOT NULL,
    category TEXT NOT NULL,
    region TEXT NOT NULL,
    bid_deadline INTEGER NOT NULL,
    total_estimate INTEGER NOT NULL,
    published_at INTEGER,
    documents_issued_at INTEGER,
    search_text TEXT NOT NULL,
    spec TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX tenders_board ON tenders (state, published_at);
CREATE INDEX tenders_deadline ON tenders (state, bid_deadline);
CREATE INDEX tenders_category ON tenders (category, state, published_at);
CREATE INDEX tenders_region ON tenders (region, state, published_at);
CREATE INDEX tenders_owner ON tenders (owner_org_id);
CREATE INDEX tenders_agent ON tenders (agent_org_id);

-- Substring search over the board's text: a trigram index answers terms of 3+ characters.
CREATE VIRTUAL TABLE tender_fts USING fts5 (search_text, content = 'tenders', content_rowid = 'seq', tokenize = 'trigram');
CREATE TRIGGER tenders_fts_insert AFTER INSERT ON tenders BEGIN
    INSERT INTO tender_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;
CREATE TRIGGER tenders_fts_update AFTER UPDATE OF search_text ON tenders BEGIN
    INSERT INTO tender_fts (tender_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
    INSERT INTO tender_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;
CREATE TRIGGER tenders_fts_delete AFTER DELETE ON tenders BEGIN
    INSERT INTO tender_fts (tender_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
END;

CREATE TABLE amendments (
    id TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    number INTEGER NOT NULL,
    body TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    UNIQUE (tender_id, number)
);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    state TEXT NOT NULL,
    amendment_id TEXT REFERENCES amendments (id),
    uploaded_at INTEGER NOT NULL
);
CREATE INDEX documents_tender ON documents (tender_id);

CREATE TABLE obtained (
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    org_id TEXT NOT NULL REFERENCES organisations (id),
    salt TEXT NOT NULL,
    commitment TEXT NOT NULL,
    obtained_at INTEGER NOT NULL,
    PRIMARY KEY (tender_id, org_id)
);

CREATE TABLE audit_log (
    idx INTEGER PRIMARY KEY,
    tender_id TEXT,
    kind TEXT NOT NULL,
    entry BLOB NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX audit_log_tender ON audit_log (tender_id, idx);
