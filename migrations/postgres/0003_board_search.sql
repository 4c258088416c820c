-- The notice board scans only narrow rows: the tender's full spec moves to its own table, and the
-- trigram index (blind to terms under three characters and, in the C locale, to Chinese) gives
-- way to an index of two-character windows (`search_grams`, computed by the hall) as an array.

CREATE TABLE tender_specs (
    tender_id TEXT PRIMARY KEY REFERENCES tenders (id),
    spec TEXT NOT NULL
);
INSERT INTO tender_specs (tender_id, spec) SELECT id, spec FROM tenders;
ALTER TABLE tenders DROP COLUMN spec;

DROP INDEX IF EXISTS tenders_search;

-- Filled by the hall for existing rows at start (an empty value means "not yet computed").
ALTER TABLE tenders ADD COLUMN search_grams TEXT NOT NULL DEFAULT '';
CREATE INDEX tenders_grams ON tenders USING gin (string_to_array(search_grams, ' '));

-- The board in its order, public tenders only: the newest notices without a sort.
CREATE INDEX tenders_public ON tenders (published_at DESC, id DESC) WHERE state <> 'draft';
