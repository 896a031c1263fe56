-- Schema 1: the 16 sections, record by record.
--
-- Every record table has the same shape: `seq` keeps the order records were
-- added (the order of the export and of the server's pages), `id` is the
-- record's id as text (NULL for log records without one), and `body` is the
-- record's canonical JSON (keys sorted), exactly as validated, unknown fields
-- included. Queries the UI needs get generated columns and indexes in later
-- migrations; they never change `body`.

CREATE TABLE items             (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, body TEXT NOT NULL);
CREATE TABLE customers         (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, body TEXT NOT NULL);
CREATE TABLE shop_transactions (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, body TEXT NOT NULL);
CREATE TABLE invoices          (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, body TEXT NOT NULL);
CREATE TABLE returns           (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, body TEXT NOT NULL);
CREATE TABLE transfers         (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, body TEXT NOT NULL);
CREATE TABLE activity          (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, body TEXT NOT NULL);
CREATE TABLE item_activity     (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, body TEXT NOT NULL);
CREATE TABLE inventory         (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, body TEXT NOT NULL);
CREATE TABLE services          (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, body TEXT NOT NULL);
CREATE TABLE debts             (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, body TEXT NOT NULL);
CREATE TABLE stores            (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, body TEXT NOT NULL);
CREATE TABLE users             (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, body TEXT NOT NULL);

-- Counters, rates, and the members of object sections that are not record
-- lists (kept verbatim): key -> canonical JSON value.
CREATE TABLE section_values (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- Settings of this installation (device id, retention, …). Not a section:
-- never exported, never replaced by a restore.
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- Local backup files written by this installation.
CREATE TABLE local_backups (
    id          TEXT PRIMARY KEY,
    file        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    counts      TEXT NOT NULL
);
CREATE INDEX local_backups_created ON local_backups(created_at);
