-- What each renderer (one output_dir of one instance) did with each article: the file it wrote, or the
-- tombstone left when the admin deleted that file or retention removed it. Keyed by instance too: two
-- machines may use the same output_dir path for different folders.
CREATE TABLE written_files (
    instance   text NOT NULL,
    renderer   text NOT NULL,
    article_id bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    -- Relative to the renderer's output_dir, '/' between folders.
    path       text NOT NULL,
    -- 'writing' (name chosen, file not yet in place), 'written', 'deleted' (by the admin), 'expired' (retention)
    state      text NOT NULL,
    changed_at timestamptz NOT NULL,
    PRIMARY KEY (instance, renderer, article_id),
    UNIQUE (instance, renderer, path)
);
