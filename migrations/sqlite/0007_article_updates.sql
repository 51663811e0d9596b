-- `on_update = "rewrite"` (issue 10): the newest `updated` time of the article's feed item that its stored text
-- was checked against (NULL: only the first read, at created_at), and the `updated` time shown in the front
-- matter once a changed text was rewritten (NULL: never rewritten).
ALTER TABLE articles ADD COLUMN item_updated TEXT;
ALTER TABLE articles ADD COLUMN updated TEXT;
