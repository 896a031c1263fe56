-- Schema 4: a short name prefix finds names whatever their case ("sa" finds
-- "Samsung"; Arabic has no case and is unchanged by lower()), and archived
-- customers can be left out of searches by an indexed column.
ALTER TABLE items ADD COLUMN name_fold TEXT GENERATED ALWAYS AS (lower(json_extract(body, '$.name'))) VIRTUAL;
CREATE INDEX items_name_fold ON items(name_fold);
ALTER TABLE customers ADD COLUMN name_fold TEXT GENERATED ALWAYS AS (lower(json_extract(body, '$.name'))) VIRTUAL;
ALTER TABLE customers ADD COLUMN archived INTEGER GENERATED ALWAYS AS (coalesce(json_extract(body, '$.archived'), 0)) VIRTUAL;
CREATE INDEX customers_name_fold ON customers(name_fold);
