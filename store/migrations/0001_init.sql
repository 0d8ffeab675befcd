-- 0001: feeds, items, clusters and runs.
--
-- Portable SQL: every statement here means the same on SQLite and
-- PostgreSQL except where a comment says otherwise. Times are TEXT in the
-- fixed-width UTC form 2006-01-02T15:04:05.000000000Z, so that comparing
-- and ordering the text compares and orders the instants; NULL means "no
-- time" (time.Time's zero value).

CREATE TABLE feeds (
    url           TEXT    NOT NULL PRIMARY KEY,
    name          TEXT    NOT NULL DEFAULT '',
    title         TEXT    NOT NULL DEFAULT '',
    etag          TEXT    NOT NULL DEFAULT '',
    last_modified TEXT    NOT NULL DEFAULT '',
    last_fetch    TEXT,
    last_status   TEXT    NOT NULL DEFAULT ''
                  CHECK (last_status IN ('', 'ok', 'not-modified', 'error')),
    last_error    TEXT    NOT NULL DEFAULT '',
    failures      INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    next_fetch    TEXT,
    -- When the feed's document was last read whole (status ok): its items
    -- with last_seen at this time are the ones it still lists.
    last_parsed   TEXT
);

-- One row per article per source feed. item_key identifies the article
-- within its feed (GUID, else canonical link, else title and date); id is
-- the stable handle everything else refers to.
-- SQLite: AUTOINCREMENT so that the id of a pruned item is never handed
-- to a later one. PostgreSQL: BIGINT GENERATED ALWAYS AS IDENTITY.
CREATE TABLE items (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_url   TEXT    NOT NULL REFERENCES feeds (url) ON DELETE CASCADE,
    item_key   TEXT    NOT NULL,
    feed_title TEXT    NOT NULL DEFAULT '',
    guid       TEXT    NOT NULL DEFAULT '',
    link       TEXT    NOT NULL DEFAULT '',
    title      TEXT    NOT NULL DEFAULT '',
    author     TEXT    NOT NULL DEFAULT '',
    published  TEXT,
    updated    TEXT,
    body_html  TEXT    NOT NULL DEFAULT '',
    body_text  TEXT    NOT NULL DEFAULT '',
    first_seen TEXT    NOT NULL,
    last_seen  TEXT    NOT NULL,
    UNIQUE (feed_url, item_key)
);

-- Prune orders and filters by an item's date.
CREATE INDEX items_date ON items (COALESCE(published, first_seen), id);

-- The merged entries of the last run.
CREATE TABLE clusters (
    id        TEXT NOT NULL PRIMARY KEY,
    published TEXT,
    updated   TEXT
);

-- ord 0 is the representative. An item belongs to at most one cluster.
CREATE TABLE cluster_members (
    cluster_id TEXT    NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    ord        INTEGER NOT NULL CHECK (ord >= 0),
    item_id    INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    PRIMARY KEY (cluster_id, ord),
    UNIQUE (item_id)
);

-- One row per pipeline run, for /healthz and `aggregate status`.
-- PostgreSQL: id BIGINT GENERATED ALWAYS AS IDENTITY, ok BOOLEAN.
CREATE TABLE runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    started      TEXT,
    finished     TEXT,
    ok           INTEGER NOT NULL,
    error_text   TEXT    NOT NULL DEFAULT '',
    feeds_ok     INTEGER NOT NULL DEFAULT 0,
    feeds_failed INTEGER NOT NULL DEFAULT 0,
    items        INTEGER NOT NULL DEFAULT 0,
    entries      INTEGER NOT NULL DEFAULT 0
);
