-- Every poll reads its feed's pending files and article files. Without an index the first walks its whole
-- table (item_failures has had its feed index since 0003); the second needs each article's date, which an
-- index of feed and date answers alone.
CREATE INDEX pending_files_feed ON pending_files (feed);
CREATE INDEX articles_feed_date ON articles (feed, date);
