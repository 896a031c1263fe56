//! What a printed receipt shows besides the invoice: the shop's name and
//! header, the store, the items' names, the total in the other currency.
//!
//! **Invariant:** a sale that committed is never reported as failed. The
//! receipt is read inside the sale's own transaction, before its commit, and
//! reading it cannot fail: a part that cannot be read is logged and left
//! out (the receipt can be shown again from the invoice later), so the only
//! error [`sell_printed`] returns is the sale's own.

use super::{find, sale, OpCtx};
use crate::error::Result;
use crate::sections::{Currency, Invoice, StoreLocation, Table};
use crate::store::Store;
use rusqlite::Connection;
use serde::Serialize;
use std::collections::BTreeMap;

/// What the receipt prints besides the invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptExtras {
    pub shop_name: String,
    pub receipt_header: String,
    pub store_name: Option<String>,
    /// Item id → name, for the invoice's lines.
    pub item_names: BTreeMap<String, String>,
    /// The total in the other currency at the invoice's rate.
    pub other_total: Option<(Currency, i64)>,
}

/// A committed sale and its receipt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrintedSale {
    #[serde(flatten)]
    pub sold: sale::SaleReceipt,
    pub receipt: ReceiptExtras,
}

/// Rings up a sale (one transaction, as [`sale::sell`]) and returns it with
/// its receipt, read in the same transaction before the commit. `Err` means
/// the sale was not written.
/// `approval`: a manager who entered their PIN, for discounts above the
/// shop's share ([`sale::sell_approved`]).
pub fn sell_printed(
    store: &mut Store,
    ctx: &OpCtx,
    input: &sale::SaleInput,
    approval: Option<&super::Actor>,
) -> Result<PrintedSale> {
    sell_with_receipt(store, ctx, input, approval, read_in)
}

/// [`sell_printed`] with the receipt's reads given: what makes a failing read
/// testable without breaking the sale's own reads.
fn sell_with_receipt(
    store: &mut Store,
    ctx: &OpCtx,
    input: &sale::SaleInput,
    approval: Option<&super::Actor>,
    read: impl FnOnce(&Connection, &str, &Invoice) -> Result<ReceiptExtras>,
) -> Result<PrintedSale> {
    store.write(|tx| {
        let sold = sale::sell_in(tx, ctx, input, approval)?;
        let receipt = read(tx, &ctx.store_id, &sold.invoice).unwrap_or_else(|err| {
            tracing::warn!(
                invoice = sold.invoice.number,
                "the receipt's shop details could not be read, printing without them: {err}"
            );
            ReceiptExtras {
                item_names: names_in(tx, &sold.invoice).unwrap_or_default(),
                ..ReceiptExtras::default()
            }
        });
        Ok(PrintedSale { sold, receipt })
    })
}

/// The receipt of `invoice`, sold in the store `store_id`.
fn read_in(conn: &Connection, store_id: &str, invoice: &Invoice) -> Result<ReceiptExtras> {
    let shop = super::settings::load(conn)?;
    let store_name = find::<StoreLocation>(conn, Table::Stores, store_id)?.map(|s| s.name);
    let other_total = invoice
        .rate
        .and_then(|rate| crate::money::in_other_currency(invoice.total, invoice.currency, rate, shop.iqd_step));
    Ok(ReceiptExtras {
        shop_name: shop.shop_name,
        receipt_header: shop.receipt_header,
        store_name,
        item_names: names_in(conn, invoice)?,
        other_total,
    })
}

/// The names of the items on `invoice`'s lines (items since removed are left out).
pub fn item_names(store: &Store, invoice: &Invoice) -> Result<BTreeMap<String, String>> {
    names_in(store.conn(), invoice)
}

fn names_in(conn: &Connection, invoice: &Invoice) -> Result<BTreeMap<String, String>> {
    let mut names = BTreeMap::new();
    for line in &invoice.lines {
        let id = line.item_id.key();
        if let Some(item) = find::<crate::sections::Item>(conn, Table::Items, &id)? {
            names.insert(id, item.name);
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::catalog::{self, ItemInput};
    use crate::ops::stores::{self, StoreInput};
    use crate::ops::{security, stock, Ids, Page};
    use crate::DataDir;

    /// An owner, a store and one item with stock, in a store at `dir`.
    fn shop(dir: &DataDir) -> (Store, OpCtx, String) {
        let mut store = Store::open(dir).unwrap();
        let owner = security::bootstrap_owner(&mut store, "Owner", "123456").unwrap();
        let mut ctx = OpCtx {
            actor: owner,
            store_id: String::new(),
            at: chrono::Utc::now(),
            ids: Ids::Random,
        };
        let main = StoreInput {
            name: "Main".into(),
            address: None,
            phone: None,
            allow_negative_stock: false,
        };
        ctx.store_id = stores::create_store(&mut store, &ctx, &main).unwrap().id.key();
        let case = ItemInput {
            name: "Phone case".into(),
            barcode: None,
            category: None,
            currency: Currency::Iqd,
            price: 25_000,
            cost: 20_000,
        };
        let item = catalog::create_item(&mut store, &ctx, &case).unwrap().id.key();
        stock::receive(&mut store, &ctx, &item, 5, 0).unwrap();
        (store, ctx, item)
    }

    #[test]
    fn a_sale_whose_receipt_cannot_be_read_is_still_returned_sold_and_on_disk() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::at(tmp.path());
        let (mut store, ctx, item) = shop(&dir);
        let input = sale::SaleInput::cash(&[(&item, 1)], Currency::Iqd, 25_000);

        // The read fails for real: the shop settings record is damaged
        // after the sale wrote its invoice and before the receipt reads it.
        let printed = sell_with_receipt(&mut store, &ctx, &input, None, |conn, store_id, invoice| {
            conn.execute(
                "INSERT OR REPLACE INTO section_values(key, value) VALUES ('sonic_shop_data', '{\"settings\":\"not an object\"}')",
                [],
            )?;
            let read = read_in(conn, store_id, invoice);
            assert!(read.is_err(), "the damaged settings must make the receipt's read fail");
            read
        })
        .expect("a receipt that cannot be read must not fail a sale");

        assert_eq!(printed.receipt.shop_name, "", "what cannot be read is left out");
        assert_eq!(
            printed.receipt.item_names.get(&item).map(String::as_str),
            Some("Phone case"),
            "what can still be read is kept"
        );
        drop(store);
        let store = Store::open(&dir).unwrap();
        let on_disk = sale::invoice_by_number(&store, printed.sold.invoice.number)
            .unwrap()
            .expect("the sold invoice is on disk");
        assert_eq!(
            (on_disk.id, on_disk.total),
            (printed.sold.invoice.id, printed.sold.invoice.total),
            "the invoice returned is the one on disk"
        );
        let page = Page { offset: 0, limit: 10 };
        assert_eq!(
            sale::invoices(&store, page).unwrap().len(),
            1,
            "exactly one sale was written"
        );
    }

    #[test]
    fn a_printed_sale_has_the_shop_the_store_and_the_item_names() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut store, ctx, item) = shop(&DataDir::at(tmp.path()));
        let input = sale::SaleInput::cash(&[(&item, 2)], Currency::Iqd, 50_000);
        let printed = sell_printed(&mut store, &ctx, &input, None).unwrap();
        assert_eq!(printed.receipt.shop_name, "Sonic");
        assert_eq!(printed.receipt.store_name.as_deref(), Some("Main"));
        assert_eq!(printed.receipt.item_names[&item], "Phone case");
        assert_eq!(printed.sold.invoice.total, 50_000);
    }
}
