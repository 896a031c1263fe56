-- Server schema 1: backups as manifests over content-addressed pages.
--
-- A page holds up to N records of one record list of one section, in the
-- till's stored order, as a JSONB array (queryable by a head office). Its
-- primary key is the SHA-256 of its canonical JSON (see sonic-backup's
-- `pages` module), so a page shared by many backups is stored once.
CREATE TABLE sonic_backup_pages (
    hash         text PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
    section      text NOT NULL,
    list         text NOT NULL,
    record_count integer NOT NULL CHECK (record_count > 0),
    bytes        integer NOT NULL,
    records      jsonb NOT NULL CHECK (jsonb_typeof(records) = 'array'),
    stored_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per backup. `backup_id` is made by the till, so a retried upload
-- is stored once. `manifest` maps each of the 16 sections to its hash, record
-- count, page hashes and (for counters, rates and other non-list members)
-- its value; `meta` is the `_meta` of the export file.
CREATE TABLE sonic_backups (
    backup_id       uuid PRIMARY KEY,
    device_id       text NOT NULL,
    store_id        text,
    reason          text NOT NULL,
    created_at      timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    app_version     text NOT NULL,
    format_version  integer NOT NULL,
    snapshot_sha256 text NOT NULL CHECK (snapshot_sha256 ~ '^[0-9a-f]{64}$'),
    records         bigint NOT NULL,
    bytes           bigint NOT NULL,
    page_count      integer NOT NULL,
    meta            jsonb NOT NULL,
    manifest        jsonb NOT NULL
);
CREATE INDEX sonic_backups_store_created ON sonic_backups (store_id, created_at DESC);
CREATE INDEX sonic_backups_device_created ON sonic_backups (device_id, created_at DESC);
