-- 0004: an item's bodies in a table of their own.
--
-- The bodies are most of an item's row (some 6 KB of HTML and text against
-- 300 bytes of the rest), and in SQLite a column after them (first_seen,
-- last_seen) is read by walking the row's overflow pages: reading every
-- item's dates and links, as each run does, read every body too (10 GB at
-- a million items), and so did every lookup of an item by its id (a
-- cluster member's foreign key). Apart, the items table is small enough to
-- stay in the page cache, and a run reads a body only when it needs one.
-- An item and its bodies are written together; the bodies go with the
-- item.
CREATE TABLE item_bodies (
    item_id INTEGER NOT NULL PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
    html    TEXT    NOT NULL DEFAULT '',
    text    TEXT    NOT NULL DEFAULT ''
);

INSERT INTO item_bodies (item_id, html, text) SELECT id, body_html, body_text FROM items;

-- A fingerprint goes stale when its item's text changes (see 0003).
DROP TRIGGER items_text_changed;

CREATE TRIGGER item_text_changed AFTER UPDATE OF text ON item_bodies
WHEN old.text IS NOT new.text
BEGIN
    DELETE FROM fingerprints WHERE item_id = new.item_id;
END;

ALTER TABLE items DROP COLUMN body_html;
ALTER TABLE items DROP COLUMN body_text;
