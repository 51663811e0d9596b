-- Operating tidings: what `tidings status`, `tidings articles` and filters need.

-- Items the last poll skipped because they had no usable link (the feed's own fault, not ours).
ALTER TABLE feeds ADD COLUMN skipped_items integer NOT NULL DEFAULT 0;
-- When the current run of consecutive failures began; NULL while the feed is healthy.
ALTER TABLE feeds ADD COLUMN failing_since timestamptz;

-- Items a keep/block filter rejected: recorded so they are never fetched again, and counted by `status`.
CREATE TABLE filtered_items (
    canonical_url text PRIMARY KEY,
    feed          text NOT NULL,
    reason        text NOT NULL,
    filtered_at   timestamptz NOT NULL
);
CREATE INDEX filtered_items_feed ON filtered_items (feed);

CREATE INDEX articles_feed_created ON articles (feed, created_at);
CREATE INDEX item_failures_feed ON item_failures (feed);

-- Full-text index over titles and bodies for `tidings articles --search`. The 'simple' configuration
-- lower-cases words without stemming, like the SQLite index; queries must use this very expression.
CREATE INDEX articles_search ON articles USING gin (to_tsvector('simple', title || ' ' || body));
