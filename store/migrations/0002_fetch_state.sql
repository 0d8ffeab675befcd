-- 0002: what polite fetching remembers per feed.
--
-- fetch_url: where the feed now lives when it differs from the configured
-- URL (a permanent redirect, or the feed a configured web page advertises);
-- '' means the configured URL. next_reason says why next_fetch is what it
-- is (a backoff, a Retry-After, the feed's own ttl). feed_interval_ms is the
-- polling interval the feed itself asked for, kept for 304 responses,
-- which carry no body to read it from.
ALTER TABLE feeds ADD COLUMN fetch_url TEXT NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN next_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN feed_interval_ms INTEGER NOT NULL DEFAULT 0;
