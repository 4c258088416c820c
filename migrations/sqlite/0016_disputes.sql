-- Questions and objections to a tender's documents and complaints to its supervising department
-- (src/disputes, docs/disputes.md). Who asked, objected or complained (org_id) is kept here and in
-- the sealed log entries; the pages and the API show it only to those who may know the tenderers.

CREATE TABLE dispute_questions (
    id TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    text TEXT NOT NULL,
    asked_at INTEGER NOT NULL,
    answer TEXT,
    answered_by_org TEXT,
    answered_by_user TEXT,
    answered_at INTEGER
);
CREATE INDEX dispute_questions_by_tender ON dispute_questions (tender_id, asked_at);

CREATE TABLE document_objections (
    id TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    text TEXT NOT NULL,
    raised_at INTEGER NOT NULL,
    answer TEXT,
    answered_by_org TEXT,
    answered_by_user TEXT,
    answered_at INTEGER
);
CREATE INDEX document_objections_by_tender ON document_objections (tender_id, raised_at);

CREATE TABLE complaints (
    id TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    supervisor_org_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    matter TEXT NOT NULL,
    text TEXT NOT NULL,
    knew_at INTEGER NOT NULL,
    objection_id TEXT,
    objection_reference TEXT,
    received_at INTEGER NOT NULL,
    -- received, accepted, rejected, decided
    state TEXT NOT NULL,
    acceptance_reason TEXT,
    accepted_by_user TEXT,
    accepted_at INTEGER,
    -- upheld or dismissed
    outcome TEXT,
    decision TEXT,
    decided_by_user TEXT,
    decided_at INTEGER
);
CREATE INDEX complaints_by_tender ON complaints (tender_id, received_at);
CREATE INDEX complaints_by_supervisor ON complaints (supervisor_org_id, received_at);
