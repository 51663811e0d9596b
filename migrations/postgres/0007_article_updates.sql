-- `on_update = "rewrite"`: the newest `updated` time of the article's feed item that its stored text was
-- checked against (NULL: only the first read, at created_at), and the `updated` time shown in the front
-- matter once a changed text was rewritten (NULL: never rewritten), RFC 3339 with the publisher's offset.
ALTER TABLE articles ADD COLUMN item_updated timestamptz;
ALTER TABLE articles ADD COLUMN updated text;
