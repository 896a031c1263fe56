-- Server schema 2: many shops on one server, enforced by PostgreSQL, and a
-- server that checks what it stores.
--
-- TENANCY BY ROW-LEVEL SECURITY, not a schema per shop. Every backup and
-- page row carries a `shop_id`; each login role is mapped to one shop in
-- `sonic_shop_roles` (or marked head office: shop_id NULL), and the policies
-- compare the row's shop with the shop of `current_user`, looked up on the
-- server. The client never names its shop: the column's DEFAULT is the
-- role's shop and the INSERT policy refuses any other, so a till cannot lie
-- about where it belongs, and push and pull need no shop parameter. Why not
-- a schema per shop: the head office would need a UNION over N schemas (a
-- view rebuilt on every new shop), every migration would run N times, and a
-- role's search_path (a client setting) would decide where rows go. With
-- RLS there is one table, one migration, one index, and the isolation is a
-- policy PostgreSQL applies to every statement, including ones we never
-- wrote. Owners and superusers bypass RLS (they are the DBA); their rows go
-- to the shop `default`.
--
-- Existing single-shop servers: every row stored under schema 1 is adopted
-- into the shop `default`, and every role that could INSERT backups under
-- schema 1 is mapped to it, so their tills keep working unchanged.

CREATE TABLE sonic_shops (
    shop_id    text PRIMARY KEY CHECK (shop_id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO sonic_shops (shop_id) VALUES ('default');

-- Which shop a login role backs up (shop_id NULL: head office, reads all).
CREATE TABLE sonic_shop_roles (
    role    name PRIMARY KEY,
    shop_id text REFERENCES sonic_shops
);
-- A role sees its own row only, so the lookup below runs with the caller's
-- rights (no SECURITY DEFINER) and no shop learns the others' roles.
ALTER TABLE sonic_shop_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_row ON sonic_shop_roles FOR SELECT USING (role = current_user);

-- The calling role's shop; NULL for head office and unmapped roles.
CREATE FUNCTION sonic_current_shop() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT shop_id FROM sonic_shop_roles WHERE role = current_user $$;

-- Whether the calling role reads every shop.
CREATE FUNCTION sonic_is_head_office() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT EXISTS (SELECT 1 FROM sonic_shop_roles WHERE role = current_user AND shop_id IS NULL) $$;

-- Pages: keyed by (shop, hash), so one shop can neither read nor pre-empt
-- another's page by guessing its hash. `body` is the page's canonical JSON
-- text, exactly the bytes its hash is taken over, so the server can check
-- the hash (below) and a pull verifies the exact bytes without
-- re-canonicalising. The head office queries JSON through the view
-- `sonic_backup_pages_json` (body::jsonb): a stored JSONB copy would double
-- the table for queries that are rare (measured on the small profile's 35
-- pages, 1.13 MB of text: 240 KB on disk as text, TOAST compressing it;
-- 464 KB, 1.9x, with a generated JSONB column beside it). `records` (JSONB) is kept only for the pages
-- stored under schema 1; a pull re-canonicalises those, as schema 1 did.
ALTER TABLE sonic_backup_pages
    ADD COLUMN shop_id text,
    ADD COLUMN body text,
    ALTER COLUMN records DROP NOT NULL;
UPDATE sonic_backup_pages SET shop_id = 'default';
ALTER TABLE sonic_backup_pages
    ALTER COLUMN shop_id SET DEFAULT coalesce(sonic_current_shop(), 'default'),
    ALTER COLUMN shop_id SET NOT NULL,
    ADD CONSTRAINT sonic_backup_pages_shop FOREIGN KEY (shop_id) REFERENCES sonic_shops,
    DROP CONSTRAINT sonic_backup_pages_pkey,
    ADD PRIMARY KEY (shop_id, hash),
    ADD CONSTRAINT sonic_backup_pages_content CHECK (body IS NOT NULL OR records IS NOT NULL);

-- A page is stored only when its hash is the SHA-256 of its content (see
-- sonic-backup's `pages::page_hash`), computed here by the server. Its size
-- is the server's count too. A stored body never changes; the one UPDATE a
-- shop may make is to give a schema-1 page (JSONB only, never checked) its
-- body, which is checked like a new page.
CREATE FUNCTION sonic_check_page() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.body IS NOT NULL THEN
        RAISE EXCEPTION 'page % of shop % is stored and cannot change', OLD.hash, OLD.shop_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.body IS NULL THEN
        RAISE EXCEPTION 'page % has no body', NEW.hash USING ERRCODE = 'not_null_violation';
    END IF;
    IF NEW.hash <> encode(sha256(convert_to(
           'sonic-page-v1' || E'\n' || NEW.section || E'\n' || NEW.list || E'\n' || NEW.body, 'UTF8')), 'hex') THEN
        RAISE EXCEPTION 'page % (%/%) does not match its hash', NEW.hash, NEW.section, NEW.list
            USING ERRCODE = 'check_violation';
    END IF;
    NEW.bytes := octet_length(NEW.body);
    NEW.records := NULL;
    NEW.stored_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER sonic_check_page BEFORE INSERT OR UPDATE ON sonic_backup_pages
    FOR EACH ROW EXECUTE FUNCTION sonic_check_page();

-- Backups: keyed by (shop, backup id), so a shop cannot pre-empt another's
-- id either. `created_at` stays the till's claim; `received_at` is the
-- server's clock, forced by the trigger whatever the client sends, and
-- `latest` orders by it.
ALTER TABLE sonic_backups ADD COLUMN shop_id text;
UPDATE sonic_backups SET shop_id = 'default';
ALTER TABLE sonic_backups
    ALTER COLUMN shop_id SET DEFAULT coalesce(sonic_current_shop(), 'default'),
    ALTER COLUMN shop_id SET NOT NULL,
    ADD CONSTRAINT sonic_backups_shop FOREIGN KEY (shop_id) REFERENCES sonic_shops,
    DROP CONSTRAINT sonic_backups_pkey,
    ADD PRIMARY KEY (shop_id, backup_id);
CREATE INDEX sonic_backups_shop_received ON sonic_backups (shop_id, received_at DESC);
CREATE INDEX sonic_backups_received ON sonic_backups (received_at DESC);

-- A backup row is stored only when every page of its manifest is stored,
-- checked, for its shop (the lookup runs under the caller's policies: its
-- own pages). A schema-1 page counts once a push has given it its body.
CREATE FUNCTION sonic_check_backup() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    missing text;
    lacking bigint;
BEGIN
    NEW.received_at := now();
    SELECT min(h.hash), count(*) INTO missing, lacking
      FROM (SELECT jsonb_array_elements_text(coalesce(s.value -> 'pages', '[]'::jsonb)) AS hash
              FROM jsonb_each(NEW.manifest -> 'sections') s
            UNION
            SELECT jsonb_array_elements_text(l.value)
              FROM jsonb_each(NEW.manifest -> 'sections') s,
                   jsonb_each(coalesce(s.value -> 'lists', '{}'::jsonb)) l) h
     WHERE NOT EXISTS (SELECT 1 FROM sonic_backup_pages p
                        WHERE p.shop_id = NEW.shop_id AND p.hash = h.hash AND p.body IS NOT NULL);
    IF lacking > 0 THEN
        RAISE EXCEPTION 'backup % lacks % page(s) of its manifest, e.g. %', NEW.backup_id, lacking, missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER sonic_check_backup BEFORE INSERT ON sonic_backups
    FOR EACH ROW EXECUTE FUNCTION sonic_check_backup();

-- The policies: a shop reads and adds its own rows; the head office reads all.
ALTER TABLE sonic_backups ENABLE ROW LEVEL SECURITY;
ALTER TABLE sonic_backup_pages ENABLE ROW LEVEL SECURITY;
CREATE POLICY shop_reads ON sonic_backups FOR SELECT
    USING (shop_id = (SELECT sonic_current_shop()) OR (SELECT sonic_is_head_office()));
CREATE POLICY shop_adds ON sonic_backups FOR INSERT
    WITH CHECK (shop_id = (SELECT sonic_current_shop()));
CREATE POLICY shop_reads ON sonic_backup_pages FOR SELECT
    USING (shop_id = (SELECT sonic_current_shop()) OR (SELECT sonic_is_head_office()));
CREATE POLICY shop_adds ON sonic_backup_pages FOR INSERT
    WITH CHECK (shop_id = (SELECT sonic_current_shop()));
CREATE POLICY shop_heals ON sonic_backup_pages FOR UPDATE
    USING (shop_id = (SELECT sonic_current_shop()) AND body IS NULL)
    WITH CHECK (shop_id = (SELECT sonic_current_shop()));

-- JSON for the head office's queries, under the reader's own policies.
CREATE VIEW sonic_backup_pages_json WITH (security_invoker = true) AS
    SELECT shop_id, hash, section, list, record_count, stored_at, coalesce(body::jsonb, records) AS records
      FROM sonic_backup_pages;

-- Roles that pushed under schema 1 back up the shop `default`.
INSERT INTO sonic_shop_roles (role, shop_id)
SELECT DISTINCT g.grantee::name, 'default'
  FROM information_schema.role_table_grants g
 WHERE g.table_name = 'sonic_backups' AND g.table_schema = current_schema()
   AND g.privilege_type = 'INSERT'
   AND g.grantee NOT IN (SELECT tableowner FROM pg_tables WHERE tablename = 'sonic_backups' AND schemaname = current_schema())
   AND g.grantee <> 'PUBLIC'
ON CONFLICT DO NOTHING;
GRANT SELECT ON sonic_shop_roles TO PUBLIC;
