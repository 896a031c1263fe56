-- Schema 5: a stock *level* record (the old POS wrote `quantity`, no `delta`)
-- is the level of its item in its store at that point; movements after it
-- add to it. `delta` now leaves level records out, and `quantity` is indexed
-- for the few level records there are.
DROP INDEX inventory_item_store;
ALTER TABLE inventory DROP COLUMN delta;
ALTER TABLE inventory ADD COLUMN delta INTEGER GENERATED ALWAYS AS (
    CASE WHEN json_extract(body, '$.quantity') IS NULL THEN json_extract(body, '$.delta') END
) VIRTUAL;
ALTER TABLE inventory ADD COLUMN quantity INTEGER GENERATED ALWAYS AS (json_extract(body, '$.quantity')) VIRTUAL;
CREATE INDEX inventory_item_store ON inventory(item_id, store_id, delta);
CREATE INDEX inventory_levels ON inventory(item_id, store_id, quantity) WHERE quantity IS NOT NULL;
