-- The registries draws select from (agents under 三表三制, qualifications, credit, experts) and the
-- draws themselves. Records are JSON documents; the columns beside them are what queries need.
CREATE TABLE registry_agents (
    org_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE registry_agent_history (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX registry_agent_history_org ON registry_agent_history (org_id, at);
CREATE TABLE registry_qualifications (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX registry_qualifications_org ON registry_qualifications (org_id, recorded_at);
CREATE TABLE registry_credit (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX registry_credit_org ON registry_credit (org_id, recorded_at);
CREATE TABLE registry_experts (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE draws (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE draw_commitments (
    draw_id TEXT NOT NULL REFERENCES draws (id),
    party TEXT NOT NULL,
    value TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (draw_id, party)
);
CREATE TABLE draw_reveals (
    draw_id TEXT NOT NULL REFERENCES draws (id),
    party TEXT NOT NULL,
    value TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (draw_id, party)
);
-- The audit-log entries of each draw, for its transcript.
CREATE TABLE draw_audit (
    draw_id TEXT NOT NULL,
    idx BIGINT NOT NULL,
    PRIMARY KEY (draw_id, idx)
);
