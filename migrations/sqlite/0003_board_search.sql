-- The notice board scans only narrow rows: the tender's full spec moves to its own table, and the
-- trigram index (blind to terms under three characters, common in Chinese) gives way to an index
-- of two-character windows (`search_grams`, computed by the hall), answered by FTS5.

CREATE TABLE tender_specs (
    tender_id TEXT PRIMARY KEY REFERENCES tenders (id),
    spec TEXT NOT NULL
);
INSERT INTO tender_specs (tender_id, spec) SELECT id, spec FROM tenders;
ALTER TABLE tenders DROP COLUMN spec;

DROP TRIGGER tenders_fts_insert;
DROP TRIGGER tenders_fts_update;
DROP TRIGGER tenders_fts_delete;
DROP TABLE tender_fts;

-- Filled by the hall for existing rows at start (an empty value means "not yet computed").
ALTER TABLE tenders ADD COLUMN search_grams TEXT NOT NULL DEFAULT '';

CREATE VIRTUAL TABLE tender_grams USING fts5 (
    search_grams, content = 'tenders', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER tenders_grams_insert AFTER INSERT ON tenders BEGIN
    INSERT INTO tender_grams (rowid, search_grams) VALUES (new.seq, new.search_grams);
END;
CREATE TRIGGER tenders_grams_update AFTER UPDATE OF search_grams ON tenders BEGIN
    INSERT INTO tender_grams (tender_grams, rowid, search_grams) VALUES ('delete', old.seq, old.search_grams);
    INSERT INTO tender_grams (rowid, search_grams) VALUES (new.seq, new.search_grams);
END;
CREATE TRIGGER tenders_grams_delete AFTER DELETE ON tenders BEGIN
    INSERT INTO tender_grams (tender_grams, rowid, search_grams) VALUES ('delete', old.seq, old.search_grams);
END;

-- The board in its order, public tenders only: the newest notices without a sort.
CREATE INDEX tenders_public ON tenders (published_at DESC, id DESC) WHERE state <> 'draft';
