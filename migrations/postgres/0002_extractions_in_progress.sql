-- Items whose page an instance is extracting right now. A row is written just before extraction starts and
-- removed when it ends; a row found when that instance starts again means it died inside that extraction
-- (stack overflow, out of memory, kill), so the item is marked failed instead of being run again. Each
-- instance only judges its own rows: another instance's are still running.
CREATE TABLE extractions_in_progress (
    canonical_url text PRIMARY KEY,
    feed          text NOT NULL,
    instance      text NOT NULL,
    started_at    timestamptz NOT NULL
);
