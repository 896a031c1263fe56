//! Reading the activity log: newest first, a page at a time, filtered by
//! action (indexed) and by text.

use super::Page;
use crate::error::Result;
use crate::sections::{ActivityEntry, Table};
use crate::store::Store;
use rusqlite::params;
use serde::{Deserialize, Serialize};

/// What the Activity screen filters on; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityFilter {
    /// Exact action (`sale`, `rate_change`, …).
    #[serde(default)]
    pub action: Option<String>,
    /// Text anywhere in the entry (user, details, …), case-insensitive for ASCII.
    #[serde(default)]
    pub text: Option<String>,
}

/// Entries matching `filter`, newest first.
pub fn list(store: &Store, filter: &ActivityFilter, page: Page) -> Result<Vec<ActivityEntry>> {
    let action = filter.action.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let text = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    // LIKE needs its wildcards escaped in what the user typed.
    let pattern = text.map(|t| format!("%{}%", t.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let mut stmt = store.conn().prepare_cached(
        "SELECT body FROM activity
         WHERE (?1 IS NULL OR action = ?1) AND (?2 IS NULL OR body LIKE ?2 ESCAPE '\\')
         ORDER BY seq DESC LIMIT ?3 OFFSET ?4",
    )?;
    let rows = stmt.query_map(params![action, pattern, page.limit(), page.offset], |r| {
        r.get::<_, String>(0)
    })?;
    rows.map(|b| super::parse(&b?, Table::Activity)).collect()
}

/// The actions the app writes, for the filter's choices.
pub const ACTIONS: &[&str] = &[
    "sale",
    "return",
    "transfer",
    "debt_open",
    "debt_payment",
    "service_open",
    "service_status",
    "service_part",
    "service_delivered",
    "stock_receive",
    "stock_adjust",
    "stock_transfer",
    "stock_count",
    "item_create",
    "item_edit",
    "item_archive",
    "customer_create",
    "customer_edit",
    "customer_archive",
    "store_create",
    "store_edit",
    "user_create",
    "user_locked",
    "pin_change",
    "rate_change",
    "settings_change",
    "cash",
    "drawer_open",
    "shift_close",
    "restore",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::security;
    use crate::ops::stores::{self, StoreInput};
    use crate::ops::OpCtx;
    use crate::DataDir;

    #[test]
    fn filters_by_action_and_text_newest_first_a_page_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(dir.path())).unwrap();
        let owner = security::bootstrap_owner(&mut store, "Owner", "123456").unwrap();
        let ctx = OpCtx::now(owner, "");
        for name in ["North 100%", "South", "East"] {
            let input = StoreInput {
                name: name.into(),
                address: None,
                phone: None,
                allow_negative_stock: false,
            };
            stores::create_store(&mut store, &ctx, &input).unwrap();
        }
        let all = list(&store, &ActivityFilter::default(), Page::FIRST).unwrap();
        assert_eq!(all.len(), 3);
        assert!(
            all[0].details.as_deref().unwrap().contains("East"),
            "newest first: {all:?}"
        );

        let by_action = ActivityFilter {
            action: Some("store_create".into()),
            text: None,
        };
        assert_eq!(list(&store, &by_action, Page::FIRST).unwrap().len(), 3);
        let other = ActivityFilter {
            action: Some("sale".into()),
            text: None,
        };
        assert!(list(&store, &other, Page::FIRST).unwrap().is_empty());

        // A % typed by the user is a literal percent sign, not a wildcard.
        let text = ActivityFilter {
            action: None,
            text: Some("100%".into()),
        };
        let found = list(&store, &text, Page::FIRST).unwrap();
        assert_eq!(found.len(), 1);
        assert!(found[0].details.as_deref().unwrap().contains("North"));

        let second = list(&store, &ActivityFilter::default(), Page { offset: 1, limit: 1 }).unwrap();
        assert_eq!(second.len(), 1);
        assert!(second[0].details.as_deref().unwrap().contains("South"));
    }
}
