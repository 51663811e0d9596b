-- Every poll reads its feed's item failures, pending files and article files. Without an index each of the
-- first two walks its whole table; the third looked each article row up for its date (a page read per
-- article, the rows are large), where an index of feed and date answers it alone.
CREATE INDEX item_failures_feed ON item_failures (feed);
CREATE INDEX pending_files_feed ON pending_files (feed);
CREATE INDEX articles_feed_date ON articles (feed, date);
