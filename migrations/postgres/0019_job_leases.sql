-- Who runs each periodic job of the hall (src/store/leases.rs, docs/operations.md): one node
-- holds a job's lease and renews it on each tick; when it dies, the lease runs out and another
-- node takes the job. Times are the nodes' system clocks in Unix milliseconds, never the hall's
-- settable clock: a lease is about a process being alive, not about a legal deadline.
CREATE TABLE job_leases (
    job TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_ms BIGINT NOT NULL
);
