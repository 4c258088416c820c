-- An organisation's name as compared for uniqueness (src/identity/name_key.rs): NFKC, case-folded,
-- without whitespace. SQL cannot normalise Unicode, so the store fills it for older rows when it
-- opens (sql::backfill_name_keys); a name that collides with an older one stays NULL (a unique
-- index admits any number of NULLs) and is reported in the operator's log.
ALTER TABLE organisations ADD COLUMN name_key TEXT;
CREATE UNIQUE INDEX organisations_name_key ON organisations (name_key);
