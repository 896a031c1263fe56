-- Schema 3: what the shop's operations and screens query, as generated
-- columns over `body` (never a second copy of the data) and indexes.

-- Time of a record in ms since 1970, from `createdAt` (RFC 3339 or ms).
-- Items: search by name or barcode (substring, trigram full-text index).
ALTER TABLE items ADD COLUMN name TEXT GENERATED ALWAYS AS (json_extract(body, '$.name')) VIRTUAL;
ALTER TABLE items ADD COLUMN barcode TEXT GENERATED ALWAYS AS (json_extract(body, '$.barcode')) VIRTUAL;
ALTER TABLE items ADD COLUMN archived INTEGER GENERATED ALWAYS AS (coalesce(json_extract(body, '$.archived'), 0)) VIRTUAL;
CREATE INDEX items_barcode ON items(barcode);
CREATE INDEX items_name ON items(name);
CREATE VIRTUAL TABLE items_fts USING fts5(name, barcode, content='items', content_rowid='seq', tokenize='trigram');
CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts(rowid, name, barcode) VALUES (new.seq, new.name, new.barcode);
END;
CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, name, barcode) VALUES ('delete', old.seq, old.name, old.barcode);
END;
CREATE TRIGGER items_fts_update AFTER UPDATE ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, name, barcode) VALUES ('delete', old.seq, old.name, old.barcode);
    INSERT INTO items_fts(rowid, name, barcode) VALUES (new.seq, new.name, new.barcode);
END;
INSERT INTO items_fts(items_fts) VALUES ('rebuild');

-- Customers: search by name or phone.
ALTER TABLE customers ADD COLUMN name TEXT GENERATED ALWAYS AS (json_extract(body, '$.name')) VIRTUAL;
ALTER TABLE customers ADD COLUMN phone TEXT GENERATED ALWAYS AS (json_extract(body, '$.phone')) VIRTUAL;
CREATE INDEX customers_phone ON customers(phone);
CREATE VIRTUAL TABLE customers_fts USING fts5(name, phone, content='customers', content_rowid='seq', tokenize='trigram');
CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customers_fts(rowid, name, phone) VALUES (new.seq, new.name, new.phone);
END;
CREATE TRIGGER customers_fts_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customers_fts(customers_fts, rowid, name, phone) VALUES ('delete', old.seq, old.name, old.phone);
END;
CREATE TRIGGER customers_fts_update AFTER UPDATE ON customers BEGIN
    INSERT INTO customers_fts(customers_fts, rowid, name, phone) VALUES ('delete', old.seq, old.name, old.phone);
    INSERT INTO customers_fts(rowid, name, phone) VALUES (new.seq, new.name, new.phone);
END;
INSERT INTO customers_fts(customers_fts) VALUES ('rebuild');

-- Stock: the level of an item in a store is the sum of its movements.
ALTER TABLE inventory ADD COLUMN item_id TEXT GENERATED ALWAYS AS (CAST(json_extract(body, '$.itemId') AS TEXT)) VIRTUAL;
ALTER TABLE inventory ADD COLUMN store_id TEXT GENERATED ALWAYS AS (CAST(json_extract(body, '$.storeId') AS TEXT)) VIRTUAL;
ALTER TABLE inventory ADD COLUMN delta INTEGER GENERATED ALWAYS AS (json_extract(body, '$.delta')) VIRTUAL;
CREATE INDEX inventory_item_store ON inventory(item_id, store_id, delta);

-- Invoices: by number, by time, by customer.
ALTER TABLE invoices ADD COLUMN number INTEGER GENERATED ALWAYS AS (json_extract(body, '$.number')) VIRTUAL;
ALTER TABLE invoices ADD COLUMN created_ms INTEGER GENERATED ALWAYS AS (
    CASE json_type(body, '$.createdAt')
        WHEN 'integer' THEN json_extract(body, '$.createdAt')
        ELSE CAST(round((julianday(json_extract(body, '$.createdAt')) - 2440587.5) * 86400000) AS INTEGER)
    END) VIRTUAL;
ALTER TABLE invoices ADD COLUMN customer_id TEXT GENERATED ALWAYS AS (CAST(json_extract(body, '$.customerId') AS TEXT)) VIRTUAL;
CREATE INDEX invoices_number ON invoices(number);
CREATE INDEX invoices_created ON invoices(created_ms);
CREATE INDEX invoices_customer ON invoices(customer_id);

ALTER TABLE returns ADD COLUMN invoice_id TEXT GENERATED ALWAYS AS (CAST(json_extract(body, '$.invoiceId') AS TEXT)) VIRTUAL;
CREATE INDEX returns_invoice ON returns(invoice_id);
ALTER TABLE returns ADD COLUMN created_ms INTEGER GENERATED ALWAYS AS (
    CASE json_type(body, '$.createdAt')
        WHEN 'integer' THEN json_extract(body, '$.createdAt')
        ELSE CAST(round((julianday(json_extract(body, '$.createdAt')) - 2440587.5) * 86400000) AS INTEGER)
    END) VIRTUAL;
CREATE INDEX returns_created ON returns(created_ms);

ALTER TABLE transfers ADD COLUMN created_ms INTEGER GENERATED ALWAYS AS (
    CASE json_type(body, '$.createdAt')
        WHEN 'integer' THEN json_extract(body, '$.createdAt')
        ELSE CAST(round((julianday(json_extract(body, '$.createdAt')) - 2440587.5) * 86400000) AS INTEGER)
    END) VIRTUAL;
CREATE INDEX transfers_created ON transfers(created_ms);

ALTER TABLE debts ADD COLUMN customer_id TEXT GENERATED ALWAYS AS (CAST(json_extract(body, '$.customerId') AS TEXT)) VIRTUAL;
CREATE INDEX debts_customer ON debts(customer_id);

ALTER TABLE services ADD COLUMN status TEXT GENERATED ALWAYS AS (json_extract(body, '$.status')) VIRTUAL;
CREATE INDEX services_status ON services(status);

ALTER TABLE users ADD COLUMN name TEXT GENERATED ALWAYS AS (json_extract(body, '$.name')) VIRTUAL;

ALTER TABLE activity ADD COLUMN action TEXT GENERATED ALWAYS AS (json_extract(body, '$.action')) VIRTUAL;
CREATE INDEX activity_action ON activity(action);
