-- What one capability's step asks of another (src/reactions, docs/reactions.md): written in the
-- same transaction as the step (an award event, an opening event, a withdrawal) and delivered by
-- one dispatcher, again and again until it succeeds. The key names the step, so a step's
-- reaction is written once.
CREATE TABLE reactions (
    key TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- the dispatcher claims a reaction by moving this past its delivery; a crashed delivery is
    -- claimed again once it passes
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    delivered_at INTEGER
);
CREATE INDEX reactions_due ON reactions (delivered_at, next_attempt_at);

-- Where the tender's award stands, as the notice board shows it (src/award/state.rs,
-- AwardState::public_stage): written with the award or opening event that moves it.
ALTER TABLE tenders ADD COLUMN award_stage TEXT;

-- A project whose bidding agent is chosen by the public draw only (政府投资项目): 1, else 0.
ALTER TABLE projects ADD COLUMN agent_by_draw INTEGER NOT NULL DEFAULT 0;
