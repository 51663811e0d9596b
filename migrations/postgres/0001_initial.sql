-- The PostgreSQL schema mirrors migrations/sqlite step by step (same numbers, same meaning) in PostgreSQL's
-- own types. What only a shared database needs (leases, per-instance records) is part of the step that
-- creates the table, since no PostgreSQL database predates it.

-- Feeds: one row per configured feed name, holding what polling learned.
CREATE TABLE feeds (
    name                 text PRIMARY KEY,
    url                  text NOT NULL,
    etag                 text,
    last_modified        text,
    -- SHA-256 of the last feed body, so a 200 with an unchanged body is treated like a 304.
    body_hash            text,
    last_poll_at         timestamptz,
    last_success_at      timestamptz,
    -- 'ok', 'not-modified', 'empty' or 'failed'
    last_result          text,
    last_error           text,
    consecutive_failures integer NOT NULL DEFAULT 0,
    next_poll_at         timestamptz,
    articles_written     integer NOT NULL DEFAULT 0,
    -- The lease: the instance polling this feed now, until when (renewed while it polls). Several instances
    -- share one database; only the holder of an unexpired lease polls the feed. `lease_token` tells apart
    -- two processes that were given the same instance name.
    lease_holder         text,
    lease_token          bigint,
    lease_expires_at     timestamptz
);

-- Articles: the truth. A Markdown file is a projection of one row.
CREATE TABLE articles (
    id            bigserial PRIMARY KEY,
    canonical_url text NOT NULL UNIQUE,
    feed          text NOT NULL,
    title         text NOT NULL,
    date          date NOT NULL,
    -- RFC 3339 with the publisher's own offset, which timestamptz would not keep.
    published     text,
    excerpt       text NOT NULL,
    cover_image   text,
    author        text,
    -- A JSON array of strings.
    tags          text NOT NULL,
    category      text,
    language      text,
    body          text NOT NULL,
    origin        text NOT NULL,
    file_name     text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL
);

-- Every canonical URL that leads to a stored article: the item link as the feed gave it and the page's
-- final URL after redirects. Checked before a page is fetched.
CREATE TABLE article_urls (
    url        text PRIMARY KEY,
    article_id bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE
);

-- Items whose page could not be turned into an article; retried on later polls.
CREATE TABLE item_failures (
    canonical_url   text PRIMARY KEY,
    feed            text NOT NULL,
    attempts        integer NOT NULL,
    last_error      text NOT NULL,
    last_attempt_at timestamptz NOT NULL
);
