-- Operating tidings (issue 12): what `tidings status`, `tidings articles` and filters need.

-- Items the last poll skipped because they had no usable link (the feed's own fault, not ours).
ALTER TABLE feeds ADD COLUMN skipped_items INTEGER NOT NULL DEFAULT 0;
-- When the current run of consecutive failures began; NULL while the feed is healthy. A feed failing for
-- longer than `dead_after` is shown `dead` and polled at a slow rate.
ALTER TABLE feeds ADD COLUMN failing_since TEXT;
-- When the daemon last warned that this feed is dead (at most once a day).
ALTER TABLE feeds ADD COLUMN dead_warned_at TEXT;

-- Items a keep/block filter rejected: recorded so they are never fetched again, and counted by `status`.
CREATE TABLE filtered_items (
    canonical_url TEXT PRIMARY KEY,
    feed          TEXT NOT NULL,
    reason        TEXT NOT NULL,
    filtered_at   TEXT NOT NULL
);
CREATE INDEX filtered_items_feed ON filtered_items (feed);

CREATE INDEX articles_feed_created ON articles (feed, created_at);

-- Full-text index over titles and bodies for `tidings articles --search` (external content: the text lives
-- once, in `articles`; triggers keep the index in step).
CREATE VIRTUAL TABLE articles_fts USING fts5 (title, body, content = 'articles', content_rowid = 'id');
INSERT INTO articles_fts (articles_fts) VALUES ('rebuild');
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
