-- Feeds: one row per configured feed name, holding what polling learned.
CREATE TABLE feeds (
    name                 TEXT PRIMARY KEY,
    url                  TEXT NOT NULL,
    etag                 TEXT,
    last_modified        TEXT,
    -- SHA-256 of the last feed body, so a 200 with an unchanged body is treated like a 304.
    body_hash            TEXT,
    last_poll_at         TEXT,
    last_success_at      TEXT,
    -- 'ok', 'not-modified' or 'failed'
    last_result          TEXT,
    last_error           TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at         TEXT,
    articles_written     INTEGER NOT NULL DEFAULT 0
);

-- Articles: the truth. A Markdown file is a projection of one row.
CREATE TABLE articles (
    id            INTEGER PRIMARY KEY,
    canonical_url TEXT NOT NULL UNIQUE,
    feed          TEXT NOT NULL,
    title         TEXT NOT NULL,
    date          TEXT NOT NULL,
    published     TEXT,
    excerpt       TEXT NOT NULL,
    cover_image   TEXT,
    author        TEXT,
    tags          TEXT NOT NULL,
    category      TEXT,
    language      TEXT,
    body          TEXT NOT NULL,
    origin        TEXT NOT NULL,
    file_name     TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL
);

-- Every canonical URL that leads to a stored article: the item link as the feed gave it and the page's
-- final URL after redirects. Checked before a page is fetched.
CREATE TABLE article_urls (
    url        TEXT PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE
);

-- Items whose page could not be turned into an article; retried on later polls.
CREATE TABLE item_failures (
    canonical_url   TEXT PRIMARY KEY,
    feed            TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    last_attempt_at TEXT NOT NULL
);
