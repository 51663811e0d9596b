-- Stored articles whose Markdown file an instance could not write (output folder read-only, full or gone).
-- Retried by that instance at the start of every poll of the article's feed; the row goes when the file is
-- written.
CREATE TABLE pending_files (
    instance   text NOT NULL,
    article_id bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    feed       text NOT NULL,
    last_error text NOT NULL,
    PRIMARY KEY (instance, article_id)
);
