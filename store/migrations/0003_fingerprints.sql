-- 0003: each item's dedupe fingerprint (its shingles, as the dedupe
-- package encodes them), so that a restart does not shingle history again.
-- A fingerprint goes with its item, and goes stale when the item's text
-- changes. PostgreSQL: BYTEA, and the trigger as a trigger function.
CREATE TABLE fingerprints (
    item_id INTEGER NOT NULL PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
    fp      BLOB    NOT NULL
);

CREATE TRIGGER items_text_changed AFTER UPDATE OF body_text ON items
WHEN old.body_text IS NOT new.body_text
BEGIN
    DELETE FROM fingerprints WHERE item_id = new.id;
END;
