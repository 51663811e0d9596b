-- What each renderer (one output_dir) did with each article: the file it wrote, or the tombstone left when the
-- admin deleted that file or retention removed it. Several renderers may share one database.
CREATE TABLE written_files (
    renderer   TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    -- Relative to the renderer's output_dir, '/' between folders.
    path       TEXT NOT NULL,
    -- 'writing' (name chosen, file not yet in place), 'written', 'deleted' (by the admin), 'expired' (retention)
    state      TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    PRIMARY KEY (renderer, article_id),
    UNIQUE (renderer, path)
);
