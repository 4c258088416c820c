-- The hall's notifications (src/inbox, docs/inbox.md): one row per organisation and step that
-- asks something of it, made by following the audit log from a cursor, and mailed to the
-- organisation's contact address when the hall has an SMTP relay.
CREATE TABLE inbox (
    -- "{log index}:{kind}:{org}": a step's notice to an organisation is made once
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    tender_id TEXT,
    params TEXT NOT NULL,
    due_at BIGINT,
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    -- none (no relay or no address when made), pending, sent
    mail_state TEXT NOT NULL,
    mail_attempts BIGINT NOT NULL DEFAULT 0,
    mail_next_at BIGINT,
    mail_error TEXT
);
CREATE INDEX inbox_by_org ON inbox (org_id, created_at);
CREATE INDEX inbox_mail_due ON inbox (mail_state, mail_next_at);

-- How far the notifier has read the audit log (the last index it has turned into notices).
CREATE TABLE inbox_cursor (
    name TEXT PRIMARY KEY,
    log_index BIGINT NOT NULL
);

-- Where an organisation's notices are mailed, if anywhere.
ALTER TABLE organisations ADD COLUMN contact_email TEXT;
