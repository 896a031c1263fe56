//! A small shop to test flows against, written through `sonic-core`'s own
//! operations before the app starts (the app then opens it as a shop that
//! has been in use), and the UI steps every flow begins with.

use sonic_core::ops::catalog::{self, ItemInput};
use sonic_core::ops::rates::{self, RateKind};
use sonic_core::ops::security;
use sonic_core::ops::stock;
use sonic_core::ops::stores::{self, StoreInput};
use sonic_core::ops::OpCtx;
use sonic_core::sections::{Currency, Rate, Role};
use sonic_core::{DataDir, Store};
use std::path::Path;

/// Who and what [`seed_shop`] made.
#[derive(Debug, Clone)]
pub struct SeededShop {
    pub main_store: String,
    pub branch_store: String,
    /// A phone priced in USD: $250.00 (25000 cents), 5 in the main store.
    pub phone: SeededItem,
    /// A cable priced in IQD: 5,000 IQD, 20 in the main store.
    pub cable: SeededItem,
    /// A screen (repair part) priced in IQD: 30,000 IQD, 4 in the main store.
    pub screen: SeededItem,
}

#[derive(Debug, Clone)]
pub struct SeededItem {
    pub id: String,
    pub name: String,
    pub barcode: String,
}

pub const OWNER: (&str, &str) = ("Owner", "123456");
pub const MANAGER: (&str, &str) = ("Mona", "555555");
pub const CASHIER: (&str, &str) = ("Cashier", "1111");
/// IQD per 1 USD in the seeded shop.
pub const RATE: &str = "1310";

/// Writes a shop into `data_dir`: the owner, a manager and a cashier (see
/// the PIN constants), stores "Main" and "Branch", the rate 1310, and three
/// items with stock in Main. The app's till sells from Main (the first store).
pub fn seed_shop(data_dir: &Path) -> anyhow::Result<SeededShop> {
    let mut store = Store::open(&DataDir::at(data_dir))?;
    let owner = security::bootstrap_owner(&mut store, OWNER.0, OWNER.1)?;
    let ctx = OpCtx::now(owner.clone(), "");
    let main = stores::create_store(&mut store, &ctx, &store_input("Main"))?;
    let branch = stores::create_store(&mut store, &ctx, &store_input("Branch"))?;
    let ctx = OpCtx::now(owner, main.id.key());
    security::create_user(&mut store, &ctx, MANAGER.0, Role::Manager, MANAGER.1)?;
    security::create_user(&mut store, &ctx, CASHIER.0, Role::Cashier, CASHIER.1)?;
    rates::set_rate(
        &mut store,
        &ctx,
        RateKind::IqdPerUsd,
        RATE.parse::<Rate>().map_err(anyhow::Error::msg)?,
    )?;
    let mut item = |name: &str, barcode: &str, currency, price, cost, qty| -> anyhow::Result<SeededItem> {
        let input = ItemInput {
            name: name.into(),
            barcode: Some(barcode.into()),
            category: None,
            currency,
            price,
            cost,
        };
        let made = catalog::create_item(&mut store, &ctx, &input)?;
        stock::receive(&mut store, &ctx, &made.id.key(), qty, cost)?;
        Ok(SeededItem {
            id: made.id.key(),
            name: name.into(),
            barcode: barcode.into(),
        })
    };
    let phone = item("Galaxy A15", "8801000000015", Currency::Usd, 25_000, 20_000, 5)?;
    let cable = item("USB-C cable", "6900000000021", Currency::Iqd, 5_000, 2_000, 20)?;
    let screen = item("A15 screen", "6900000000038", Currency::Iqd, 30_000, 18_000, 4)?;
    Ok(SeededShop {
        main_store: main.id.key(),
        branch_store: branch.id.key(),
        phone,
        cable,
        screen,
    })
}

fn store_input(name: &str) -> StoreInput {
    StoreInput {
        name: name.into(),
        address: None,
        phone: None,
        allow_negative_stock: false,
    }
}
