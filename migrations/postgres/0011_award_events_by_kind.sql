-- The bonds' catch-up finds recent award notices and contracts across tenders by kind and time.
CREATE INDEX award_events_kind_at ON award_events (kind, at);
