-- Items whose page is being extracted right now. A row is written just before extraction starts and removed
-- when it ends, in the same thread; a row found at start-up means the process died inside that extraction
-- (stack overflow, out of memory, kill), so the item is marked failed instead of being run again (issue 7).
CREATE TABLE extractions_in_progress (
    canonical_url TEXT PRIMARY KEY,
    feed          TEXT NOT NULL,
    started_at    TEXT NOT NULL
);
