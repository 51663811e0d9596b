-- Stored articles whose Markdown file could not be written (output folder read-only, full or gone). Retried
-- at the start of every poll of the article's feed; the row goes when the file is written (issue 7).
CREATE TABLE pending_files (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    feed       TEXT NOT NULL,
    last_error TEXT NOT NULL
);
