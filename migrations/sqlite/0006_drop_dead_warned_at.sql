-- Dead feeds are warned about on each of their daily polls (the poll itself is the once-a-day bound), so the
-- time of the last warning added by 0003 was never read or written: dropped.
ALTER TABLE feeds DROP COLUMN dead_warned_at;
