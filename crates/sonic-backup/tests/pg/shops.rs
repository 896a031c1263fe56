//! Many shops on one server: what row-level security and the server's own
//! checks must stop, tried with real roles.

use crate::support::{copy_dir, one_more_sale, small_shop, TestDb};
use crate::{digests, make_backup};
use sonic_backup::pages::page_hash;
use sonic_backup::schema::{self, Access};
use sonic_backup::{find_backup, list_backups, pull, push_pending, Error, ListFilter, ServerConfig};
use sonic_core::{DataDir, SectionKey, Store};
use tokio_postgres::error::SqlState;

/// A login role for `access`, with a password of its own.
async fn role(db: &TestDb, name: &str, access: Access<'_>) -> ServerConfig {
    let role = format!("{name}_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let password = format!("pw-{role}-Xq9");
    let owner = db.config.connect().await.unwrap();
    schema::grant_role(&owner, &role, access, Some(&password))
        .await
        .unwrap();
    db.config.clone().with_login(&role, &password)
}

fn code(err: &tokio_postgres::Error) -> Option<SqlState> {
    err.code().cloned()
}

#[tokio::test]
async fn shop_b_can_neither_list_read_plant_overwrite_nor_preempt_shop_a() {
    let Some(db) = TestDb::new().await else { return };
    let a = role(&db, "shop_a", Access::Shop("shop-a")).await;
    let b = role(&db, "shop_b", Access::Shop("shop-b")).await;
    let office = role(&db, "office", Access::HeadOffice).await;

    let (tmp_a, dir_a) = small_shop(21);
    let first = make_backup(&dir_a);
    push_pending(&a, &dir_a).await.unwrap();

    // B sees nothing of A: not its backups, not its pages, not its roles.
    let as_b = b.connect().await.unwrap();
    assert!(list_backups(&as_b, &ListFilter::default()).await.unwrap().is_empty());
    let err = find_backup(&as_b, "latest", &ListFilter::default()).await.unwrap_err();
    assert!(matches!(err, Error::NotOnServer(_)), "got {err:?}");
    let err = pull(&as_b, first.id).await.unwrap_err();
    assert!(
        matches!(err, Error::NotOnServer(_)),
        "B must not pull A's backup, got {err:?}"
    );
    for sql in [
        "SELECT count(*) FROM sonic_backups",
        "SELECT count(*) FROM sonic_backup_pages",
        "SELECT count(*) - 1 FROM sonic_shop_roles",
    ] {
        let n: i64 = as_b.client().query_one(sql, &[]).await.unwrap().get(0);
        assert_eq!(n, 0, "{sql} as shop B must see nothing of shop A");
    }
    for sql in [
        "SELECT count(*) FROM sonic_shops",
        "SELECT count(*) FROM sonic_backup_pages_json",
    ] {
        let err = as_b.client().query_one(sql, &[]).await.unwrap_err();
        assert_eq!(code(&err), Some(SqlState::INSUFFICIENT_PRIVILEGE), "{sql}: {err}");
    }

    // B cannot plant a row in A's shop, nor change or delete A's rows.
    let a_pages = db
        .count("SELECT count(*) FROM sonic_backup_pages WHERE shop_id = 'shop-a'")
        .await;
    let hash = page_hash("sonic_invoices", "", "[{\"id\":\"planted\"}]");
    let plant_page = format!(
        "INSERT INTO sonic_backup_pages (shop_id, hash, section, list, record_count, bytes, body) \
         VALUES ('shop-a', '{hash}', 'sonic_invoices', '', 1, 0, '[{{\"id\":\"planted\"}}]')"
    );
    let plant_backup = format!(
        "INSERT INTO sonic_backups (shop_id, backup_id, device_id, reason, created_at, app_version, format_version, \
                                    snapshot_sha256, records, bytes, page_count, meta, manifest) \
         VALUES ('shop-a', '{}', 'dev', 'manual', '2099-01-01', '9', 1, '{}', 0, 0, 0, '{{}}', '{{}}')",
        uuid::Uuid::now_v7(),
        "0".repeat(64)
    );
    for sql in [plant_page.as_str(), plant_backup.as_str()] {
        let err = as_b.client().batch_execute(sql).await.unwrap_err();
        assert_eq!(code(&err), Some(SqlState::INSUFFICIENT_PRIVILEGE), "{sql}: {err}");
    }
    for sql in [
        "UPDATE sonic_backups SET created_at = '2099-01-01'",
        "DELETE FROM sonic_backup_pages",
        "UPDATE sonic_backup_pages SET section = 'x'",
    ] {
        let err = as_b.client().batch_execute(sql).await.unwrap_err();
        assert_eq!(code(&err), Some(SqlState::INSUFFICIENT_PRIVILEGE), "{sql}: {err}");
    }
    let changed = as_b
        .client()
        .execute("UPDATE sonic_backup_pages SET body = '[]'", &[])
        .await
        .unwrap();
    assert_eq!(
        changed, 0,
        "B's one UPDATE (healing a schema-1 page) reaches no page of A"
    );

    // Pre-empting: B stores A's next backup (the same pages, the same id)
    // before A does. It lands in B's shop; A's push is not fooled by it.
    one_more_sale(&dir_a);
    let second = make_backup(&dir_a);
    let copy = tmp_a.path().join("copy-for-b");
    copy_dir(dir_a.root(), &copy);
    let dir_b_copy = DataDir::at(&copy);
    let pass_b = push_pending(&b, &dir_b_copy).await.unwrap();
    assert_eq!(pass_b.pushed.len(), 1, "B may store a copy in its own shop");
    let pass_a = push_pending(&a, &dir_a).await.unwrap();
    assert_eq!(pass_a.pushed.len(), 1);
    let report = &pass_a.pushed[0];
    assert_eq!(report.backup_id, second.id);
    assert!(!report.already_on_server, "B's copy is not A's backup");
    assert!(report.pages_uploaded >= 1, "A uploads its new pages itself");
    assert!(
        db.count("SELECT count(*) FROM sonic_backup_pages WHERE shop_id = 'shop-a'")
            .await
            > a_pages,
        "A's pages are A's own rows"
    );

    // B plants a backup dated 2099 with A's device id: in B's shop, and
    // received now, whatever it says.
    let device: String = db
        .sql(&format!(
            "SELECT device_id FROM sonic_backups WHERE backup_id = '{}' LIMIT 1",
            second.id
        ))
        .await[0]
        .get(0);
    as_b.client()
        .batch_execute(&format!(
            "INSERT INTO sonic_backups (backup_id, device_id, store_id, reason, created_at, received_at, app_version, \
                                        format_version, snapshot_sha256, records, bytes, page_count, meta, manifest)
             SELECT gen_random_uuid(), '{device}', store_id, reason, '2099-01-01', '2099-01-01', app_version,
                    format_version, snapshot_sha256, records, bytes, page_count, meta, manifest
               FROM sonic_backups WHERE backup_id = '{}'",
            second.id
        ))
        .await
        .unwrap();
    assert_eq!(
        db.count("SELECT count(*) FROM sonic_backups WHERE received_at > '2098-01-01'")
            .await,
        0,
        "received_at is the server's clock"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM sonic_backups WHERE created_at > '2098-01-01' AND shop_id = 'shop-b'")
            .await,
        1
    );

    // A's `latest` is A's newest, and a restore of it gives A's shop.
    let as_a = a.connect().await.unwrap();
    let listed = list_backups(&as_a, &ListFilter::default()).await.unwrap();
    assert_eq!(
        listed.iter().map(|l| l.backup_id).collect::<Vec<_>>(),
        vec![second.id, first.id],
        "A lists its own two backups, newest first"
    );
    assert!(listed.iter().all(|l| l.shop_id == "shop-a"));
    let latest = find_backup(&as_a, "latest", &ListFilter::default()).await.unwrap();
    assert_eq!(latest.backup_id, second.id);
    let pulled = pull(&as_a, latest.backup_id).await.unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let mut store = Store::open(&DataDir::at(fresh.path())).unwrap();
    sonic_core::restore::restore(&mut store, &pulled.document, "server backup", "test", &mut |_| {}).unwrap();
    let restored = sonic_core::snapshot::store_digests(&store).unwrap();
    let shop = digests(&dir_a);
    for key in SectionKey::ALL {
        if key != SectionKey::ActivityData {
            assert_eq!(restored[&key], shop[&key], "{key} must be shop A's");
        }
    }

    // The head office reads every shop, and adds nothing.
    let as_office = office.connect().await.unwrap();
    let all = list_backups(&as_office, &ListFilter::default()).await.unwrap();
    assert_eq!(all.len(), 4, "2 of A, a copy and a plant of B");
    let only_a = ListFilter {
        shop: Some("shop-a".into()),
        ..ListFilter::default()
    };
    assert_eq!(list_backups(&as_office, &only_a).await.unwrap().len(), 2);
    let newest_a = find_backup(&as_office, "latest", &only_a).await.unwrap();
    pull(&as_office, first.id).await.unwrap();
    assert_eq!(newest_a.backup_id, second.id);
    let err = pull(&as_office, second.id).await.unwrap_err();
    assert!(
        matches!(err, Error::NotOnServer(_)),
        "the same id in two shops is ambiguous, got {err:?}"
    );
    let n: i64 = as_office
        .client()
        .query_one(
            "SELECT count(*) FROM sonic_backup_pages_json WHERE shop_id = 'shop-a'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(n > 10, "the head office queries pages as JSON");
    let err = as_office.client().batch_execute(&plant_page).await.unwrap_err();
    assert_eq!(code(&err), Some(SqlState::INSUFFICIENT_PRIVILEGE), "{err}");
}

#[tokio::test]
async fn the_server_refuses_a_page_that_does_not_match_its_hash_and_a_backup_missing_a_page() {
    let Some(db) = TestDb::new().await else { return };
    let a = role(&db, "shop_a", Access::Shop("shop-a")).await;
    let (_tmp, dir) = small_shop(22);
    let made = make_backup(&dir);
    push_pending(&a, &dir).await.unwrap();
    let as_a = a.connect().await.unwrap();

    let body = "[{\"id\":\"x\",\"total\":1}]";
    let insert = "INSERT INTO sonic_backup_pages (hash, section, list, record_count, bytes, body) \
                  VALUES ($1, 'sonic_invoices', '', 1, 0, $2)";
    let good = page_hash("sonic_invoices", "", body);
    let poisoned = "[{\"id\":\"x\",\"total\":1000000}]";
    let err = as_a.client().execute(insert, &[&good, &poisoned]).await.unwrap_err();
    assert_eq!(code(&err), Some(SqlState::CHECK_VIOLATION), "{err:?}");
    assert_eq!(as_a.client().execute(insert, &[&good, &body]).await.unwrap(), 1);
    let bytes: i32 = as_a
        .client()
        .query_one("SELECT bytes FROM sonic_backup_pages WHERE hash = $1", &[&good])
        .await
        .unwrap()
        .get(0);
    assert_eq!(bytes as usize, body.len(), "the server counts the bytes itself");

    let missing = "0".repeat(64);
    let err = as_a
        .client()
        .batch_execute(&format!(
            "INSERT INTO sonic_backups (backup_id, device_id, store_id, reason, created_at, app_version,
                                        format_version, snapshot_sha256, records, bytes, page_count, meta, manifest)
             SELECT gen_random_uuid(), device_id, store_id, reason, created_at, app_version, format_version,
                    snapshot_sha256, records, bytes, page_count, meta,
                    jsonb_set(manifest, '{{sections,sonic_invoices,pages,0}}', '\"{missing}\"')
               FROM sonic_backups WHERE backup_id = '{}'",
            made.id
        ))
        .await
        .unwrap_err();
    assert_eq!(code(&err), Some(SqlState::FOREIGN_KEY_VIOLATION), "{err:?}");
    assert!(
        format!("{err:?}").contains(&missing),
        "the error names the page: {err:?}"
    );
    assert_eq!(db.count("SELECT count(*) FROM sonic_backups").await, 1);
}

#[tokio::test]
async fn a_role_is_given_a_scram_verifier_and_logs_in_with_its_password() {
    let Some(db) = TestDb::new().await else { return };
    let name = format!("shop_s_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let password = "S3cret-pass'word\\";
    let owner = db.config.connect().await.unwrap();
    schema::grant_role(&owner, &name, Access::Shop("shop-s"), Some(password))
        .await
        .unwrap();
    let stored: String = db
        .sql(&format!("SELECT rolpassword FROM pg_authid WHERE rolname = '{name}'"))
        .await[0]
        .get(0);
    assert!(stored.starts_with("SCRAM-SHA-256$4096:"), "{stored}");
    assert!(!stored.contains("S3cret"));
    let login = db.config.clone().with_login(&name, password);
    let remote = login.connect().await.unwrap();
    let user: String = remote
        .client()
        .query_one("SELECT current_user::text", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(user, name);
    let err = db
        .config
        .clone()
        .with_login(&name, "wrong")
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Login { .. }), "got {err:?}");
    // A second shop for the same role is refused, not a silent move.
    let err = schema::grant_role(&owner, &name, Access::Shop("shop-t"), None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("shop-s"), "{err}");
}
