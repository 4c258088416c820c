-- The secret side of a sealed expert pool (招标投标法 第三十七条, 实施条例: the committee stays secret
-- until the result is determined): each member's id, name and salt, and the exclusions with whom
-- they concern, kept apart from the public draw record until the pool is opened at the award notice.
CREATE TABLE draw_sealed_pools (
    draw_id TEXT PRIMARY KEY REFERENCES draws (id),
    opened_at BIGINT,
    record TEXT NOT NULL
);
