//! Deterministic shop data for tests and benchmarks, made by the shop's own
//! operations ([`crate::ops`]), so generated data obeys every rule they
//! enforce: gapless numbers, stock never below zero and always the sum of its
//! movements, rates stored on every invoice, debts for unpaid balances,
//! credit limits, the repair status flow.
//!
//! The same profile and seed always give the same sections. `small` is two
//! months of a small shop; `large` is about five years of a busy one: ~20k
//! items, ~5k customers, ~250k invoices, with returns, transfers, repairs,
//! debts, three stores and the logs. Everything is written in one
//! transaction (each operation in a savepoint of it), so it is fast.

use crate::error::{Error, Result};
use crate::ops::catalog::{self, CustomerInput, ItemInput};
use crate::ops::rates::{self, RateKind};
use crate::ops::returns::{self, ReturnInput, ReturnLineInput};
use crate::ops::sale::{self, SaleInput, SaleLineInput, TenderInput};
use crate::ops::service::{self, TicketInput};
use crate::ops::stores::{self, StoreInput};
use crate::ops::transfer::{self, TransferInput};
use crate::ops::{cash, debt, security, stock, Actor, Ids, OpCtx};
use crate::sections::{Currency, Rate, Role, ServiceStatus, TransferDirection};
use crate::store::{record_total, Store};
use argon2::password_hash::SaltString;
use chrono::{Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::{Transaction, TransactionBehavior};
use rust_decimal::Decimal;
use std::cell::Cell;
use std::collections::VecDeque;
use std::str::FromStr;

/// How much data to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Small,
    Large,
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Profile, String> {
        match s {
            "small" => Ok(Profile::Small),
            "large" => Ok(Profile::Large),
            other => Err(format!("unknown profile {other:?}: use small or large")),
        }
    }
}

struct Sizes {
    items: usize,
    customers: usize,
    invoices: usize,
    days: i64,
}

impl Profile {
    fn sizes(self) -> Sizes {
        match self {
            Profile::Small => Sizes {
                items: 200,
                customers: 60,
                invoices: 600,
                days: 60,
            },
            Profile::Large => Sizes {
                items: 20_000,
                customers: 5_000,
                invoices: 250_000,
                days: 5 * 365,
            },
        }
    }
}

const BRANDS: &[(&str, &[&str])] = &[
    (
        "Samsung Galaxy",
        &["A05", "A15", "A25", "A35", "A55", "S23", "S24", "S24 Ultra", "Z Flip5"],
    ),
    ("iPhone", &["11", "12", "13", "14", "15", "15 Pro", "15 Pro Max", "16"]),
    ("Xiaomi Redmi", &["13C", "Note 12", "Note 13", "Note 13 Pro", "A3"]),
    ("Honor", &["X6b", "X7b", "X8b", "90"]),
    ("Tecno", &["Spark 20", "Camon 20", "Pova 6"]),
];
const ACCESSORIES: &[&str] = &[
    "USB-C cable 1m",
    "Lightning cable",
    "20W charger",
    "Power bank 10000mAh",
    "Screen protector",
    "Silicone case",
    "Earbuds",
    "Memory card 64GB",
    "Car charger",
    "سماعة بلوتوث",
    "شاحن سريع",
    "كفر حماية",
];
const STORAGE: &[&str] = &["64GB", "128GB", "256GB", "512GB"];
const COLORS: &[&str] = &["Black", "Blue", "Green", "White", "أسود", "ذهبي"];
const FIRST: &[&str] = &[
    "Ahmed", "Ali", "Hussein", "Mohammed", "Zainab", "Fatima", "Omar", "Sara", "Mustafa", "Noor", "محمد", "علي",
    "حسين", "زينب", "مريم", "كرار",
];
const LAST: &[&str] = &[
    "Al-Jubouri",
    "Al-Tamimi",
    "Kadhim",
    "Hassan",
    "Jassim",
    "Al-Obaidi",
    "الساعدي",
    "العبيدي",
    "الموسوي",
    "كاظم",
];
const DEVICES: &[&str] = &[
    "iPhone 12",
    "Galaxy A52",
    "Redmi Note 10",
    "iPad 9",
    "Galaxy S21",
    "Honor X7",
    "Huawei Y9",
];
const FAULTS: &[&str] = &[
    "Broken screen",
    "Battery drains",
    "Does not charge",
    "No sound",
    "شاشة مكسورة",
    "لا يشحن",
];
const STORES: [(&str, &str); 3] = [
    ("Sonic Karrada", "Karrada Dakhil, Baghdad"),
    ("Sonic Mansour", "14 Ramadan St, Baghdad"),
    ("Sonic Basra", "Al-Ashar, Basra"),
];

/// The PINs of the generated users (documented for demos and tests).
pub const DEMO_PINS: [(&str, &str); 3] = [("owner", "999999"), ("manager", "555555"), ("cashier1", "1111")];

/// Fills an empty store with generated data in one transaction.
pub fn generate(store: &mut Store, profile: Profile, seed: u64) -> Result<crate::SectionCounts> {
    let records = record_total(store.conn())?;
    if records > 0 {
        return Err(Error::GenNeedsEmptyStore { records });
    }
    let mut tx = store
        .conn_mut()
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    Gen::new(profile, seed).run(&mut tx)?;
    tx.commit()?;
    store.counts()
}

struct Gen {
    rng: ChaCha8Rng,
    sizes: Sizes,
    seed: u64,
    ctx: OpCtx,
    users: Vec<Actor>,
}

/// Runs one operation in a savepoint: kept if it succeeds, undone if refused.
fn attempt<T>(tx: &mut Transaction<'_>, f: impl FnOnce(&rusqlite::Connection) -> Result<T>) -> Result<Option<T>> {
    let sp = tx.savepoint()?;
    match f(&sp) {
        Ok(v) => {
            sp.commit()?;
            Ok(Some(v))
        }
        // A refusal by the shop's rules is a normal outcome for random data.
        Err(
            Error::InsufficientStock { .. }
            | Error::CreditLimit { .. }
            | Error::OverReturn { .. }
            | Error::Invalid(_)
            | Error::Conflict(_)
            | Error::Refused(_),
        ) => Ok(None),
        Err(e) => Err(e),
    }
}

impl Gen {
    fn new(profile: Profile, seed: u64) -> Gen {
        let sizes = profile.sizes();
        // A fixed end date keeps the data the same whatever day it is made.
        let end = Utc
            .with_ymd_and_hms(2026, 11, 1, 18, 0, 0)
            .single()
            .expect("a valid fixed date");
        let start = end - Duration::days(sizes.days);
        let bootstrap = Actor {
            user_id: "user-1".into(),
            name: "owner".into(),
            role: Role::Owner,
        };
        Gen {
            rng: ChaCha8Rng::seed_from_u64(seed),
            sizes,
            seed,
            ctx: OpCtx {
                actor: bootstrap,
                store_id: "store-1".into(),
                at: start,
                ids: Ids::Sequential(Cell::new(0)),
            },
            users: Vec::new(),
        }
    }

    fn pick(&mut self, list: &'static [&'static str]) -> &'static str {
        list[self.rng.random_range(0..list.len())]
    }

    fn act_as(&mut self, role: Role) {
        if let Some(u) = self.users.iter().find(|u| u.role == role) {
            self.ctx.actor = u.clone();
        }
    }

    fn run(mut self, tx: &mut Transaction<'_>) -> Result<()> {
        let minutes_total = self.sizes.days * 24 * 60;
        self.setup(tx)?;
        let items = self.items(tx)?;
        let customers = self.customers(tx, minutes_total)?;
        self.opening_stock(tx, &items)?;

        let start = self.ctx.at;
        let step = (minutes_total / self.sizes.invoices as i64).max(1);
        let mut rate = Decimal::from(1310);
        let mut recent: VecDeque<(String, String, i64)> = VecDeque::new(); // invoice, item, qty
        let mut open_debts: VecDeque<String> = VecDeque::new();
        let mut tickets: VecDeque<(String, ServiceStatus)> = VecDeque::new();
        for n in 0..self.sizes.invoices {
            self.ctx.at = start + Duration::minutes(n as i64 * step + self.rng.random_range(0..step));
            self.ctx.store_id = format!("store-{}", self.rng.random_range(1..=STORES.len()));
            if n % 500 == 0 && n > 0 {
                self.act_as(Role::Manager);
                rate = (rate + Decimal::from(self.rng.random_range(-15i64..=15)))
                    .clamp(Decimal::from(1280), Decimal::from(1550));
                let (r, ctx) = (Rate::new(rate).map_err(Error::Invalid)?, &self.ctx);
                attempt(tx, |c| rates::set_rate_in(c, ctx, RateKind::IqdPerUsd, r))?;
            }
            self.sale(tx, &items, &customers, &mut recent, &mut open_debts)?;
            if self.rng.random_bool(0.04) && recent.len() > 10 {
                self.act_as(Role::Manager);
                let (invoice_id, item_id, qty) = recent[recent.len() - 10].clone();
                let input = ReturnInput {
                    invoice_id,
                    lines: vec![ReturnLineInput { item_id, qty }],
                    reason: Some(["faulty", "changed mind", "wrong model", "عطل"][self.rng.random_range(0..4)].into()),
                };
                let ctx = &self.ctx;
                attempt(tx, |c| returns::return_in(c, ctx, &input, None))?;
            }
            if n % 25 == 0 && !open_debts.is_empty() {
                self.act_as(Role::Cashier);
                let id = open_debts.pop_front().expect("not empty");
                let ctx = &self.ctx;
                attempt(tx, |c| {
                    let d: crate::sections::Debt = crate::ops::load(c, crate::sections::Table::Debts, &id, "debt")?;
                    let half = (debt::remaining(&d) / 2).max(1);
                    debt::pay_in(c, ctx, &id, d.currency, half)
                })?;
            }
            if n % 12 == 0 {
                self.transfer(tx)?;
            }
            if n % 30 == 0 {
                self.repairs(tx, &customers, &items, &mut tickets)?;
            }
            if n % 400 == 0 {
                self.act_as(Role::Manager);
                let amount = -self.rng.random_range(4..80) * 2500;
                let note = self.pick(&["rent", "electricity (مولدة)", "internet", "cleaning"]);
                let ctx = &self.ctx;
                attempt(tx, |c| {
                    cash::record_cash_in(c, ctx, "expense", Currency::Iqd, amount, note)
                })?;
            }
        }
        Ok(())
    }

    fn setup(&mut self, tx: &mut Transaction<'_>) -> Result<()> {
        for (i, (name, pin)) in DEMO_PINS.iter().enumerate() {
            let role = [Role::Owner, Role::Manager, Role::Cashier][i];
            // A salt from the seed keeps the hashes (and so the data) deterministic.
            let salt = SaltString::encode_b64(&self.seed.wrapping_add(i as u64).to_le_bytes().repeat(2))
                .map_err(|e| Error::Invalid(e.to_string()))?;
            let hash = security::hash_with_salt(pin, &salt)?;
            let user = security::create_user_in(tx, &self.ctx, name, role, hash)?;
            self.users.push(Actor {
                user_id: user.id.key(),
                name: user.name,
                role,
            });
        }
        self.act_as(Role::Owner);
        for (name, address) in STORES {
            let input = StoreInput {
                name: name.into(),
                address: Some(address.into()),
                phone: Some("+9647701234567".into()),
                allow_negative_stock: false,
            };
            stores::create_store_in(tx, &self.ctx, &input)?;
        }
        rates::set_rate_in(
            tx,
            &self.ctx,
            RateKind::IqdPerUsd,
            Rate::new(Decimal::from(1310)).map_err(Error::Invalid)?,
        )?;
        rates::set_rate_in(
            tx,
            &self.ctx,
            RateKind::Transfer,
            Rate::new(Decimal::from(1315)).map_err(Error::Invalid)?,
        )?;
        Ok(())
    }

    fn items(&mut self, tx: &mut Transaction<'_>) -> Result<Vec<(String, Currency)>> {
        let mut items = Vec::with_capacity(self.sizes.items);
        for i in 0..self.sizes.items {
            let is_phone = self.rng.random_bool(0.35);
            let (name, currency, price) = if is_phone {
                let (brand, models) = BRANDS[self.rng.random_range(0..BRANDS.len())];
                let model = models[self.rng.random_range(0..models.len())];
                let (storage, color) = (self.pick(STORAGE), self.pick(COLORS));
                (
                    format!("{brand} {model} {storage} {color}"),
                    Currency::Usd,
                    self.rng.random_range(90..1400) * 100,
                )
            } else {
                let acc = self.pick(ACCESSORIES);
                (
                    format!("{acc} #{}", i % 97),
                    Currency::Iqd,
                    self.rng.random_range(4..200) * 250,
                )
            };
            let input = ItemInput {
                name,
                barcode: Some(format!("62{:011}", 10_000_000 + (i as u64 * 7919) % 100_000_000)),
                category: Some(if is_phone { "phones" } else { "accessories" }.into()),
                currency,
                price,
                cost: price * self.rng.random_range(70..90) / 100,
            };
            let item = catalog::create_item_in(tx, &self.ctx, &input)?;
            items.push((item.id.key(), currency));
        }
        Ok(items)
    }

    fn customers(&mut self, tx: &mut Transaction<'_>, minutes_total: i64) -> Result<Vec<String>> {
        let mut out = Vec::with_capacity(self.sizes.customers);
        let start = self.ctx.at;
        for i in 0..self.sizes.customers {
            self.ctx.at = start + Duration::minutes(self.rng.random_range(0..minutes_total / 100));
            let name = format!("{} {}", self.pick(FIRST), self.pick(LAST));
            let input = CustomerInput {
                name,
                phone: Some(format!(
                    "+964{}{:07}",
                    ["770", "750", "780"][i % 3],
                    self.rng.random_range(0..10_000_000)
                )),
                credit_limit: self
                    .rng
                    .random_bool(0.5)
                    .then(|| self.rng.random_range(4..40) * 250_000),
            };
            out.push(catalog::create_customer_in(tx, &self.ctx, &input)?.id.key());
        }
        self.ctx.at = start + Duration::minutes(minutes_total / 100);
        Ok(out)
    }

    fn opening_stock(&mut self, tx: &mut Transaction<'_>, items: &[(String, Currency)]) -> Result<()> {
        self.act_as(Role::Manager);
        for (id, _) in items {
            for s in 1..=STORES.len() {
                let qty = self.rng.random_range(5..40);
                stock::receive_in(tx, &self.ctx, id, &format!("store-{s}"), qty, 0)?;
            }
        }
        Ok(())
    }

    fn sale(
        &mut self,
        tx: &mut Transaction<'_>,
        items: &[(String, Currency)],
        customers: &[String],
        recent: &mut VecDeque<(String, String, i64)>,
        open_debts: &mut VecDeque<String>,
    ) -> Result<()> {
        let currency = if self.rng.random_bool(0.3) {
            Currency::Usd
        } else {
            Currency::Iqd
        };
        let mut lines: Vec<SaleLineInput> = Vec::new();
        for _ in 0..self.rng.random_range(1..=3) {
            let (id, item_currency) = &items[self.rng.random_range(0..items.len())];
            if lines.iter().any(|l| &l.item_id == id) {
                continue;
            }
            let qty = if *item_currency == Currency::Usd {
                1
            } else {
                self.rng.random_range(1..=3)
            };
            if stock::level_in(tx, id, &self.ctx.store_id)? < qty {
                self.act_as(Role::Manager);
                let restock = self.rng.random_range(10..50);
                stock::receive_in(tx, &self.ctx, id, &self.ctx.store_id.clone(), restock, 0)?;
            }
            lines.push(SaleLineInput {
                item_id: id.clone(),
                qty,
                discount: 0,
            });
        }
        self.act_as(Role::Cashier);
        let customer = self
            .rng
            .random_bool(0.4)
            .then(|| customers[self.rng.random_range(0..customers.len())].clone());
        let on_credit = customer.is_some() && self.rng.random_bool(0.08);
        let pay_usd_for_iqd = currency == Currency::Iqd && self.rng.random_bool(0.1);
        // Price the cart first, as the till does, to know the total.
        let probe = SaleInput {
            lines: lines.clone(),
            currency,
            discount: 0,
            customer_id: None,
            payments: Vec::new(),
            change_currency: None,
        };
        let total = match sale::quote_in(tx, &probe) {
            Ok(q) => q.total,
            Err(Error::Invalid(_) | Error::Refused(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        let payments = if on_credit {
            vec![TenderInput {
                currency,
                amount: total / 2,
            }]
        } else if pay_usd_for_iqd {
            // Dollars handed over for a dinar invoice, change in dinars.
            vec![TenderInput {
                currency: Currency::Usd,
                amount: (total / 1000 + 1) * 100,
            }]
        } else {
            vec![TenderInput {
                currency,
                amount: total,
            }]
        };
        let input = SaleInput {
            lines,
            currency,
            discount: 0,
            customer_id: customer,
            payments,
            change_currency: pay_usd_for_iqd.then_some(Currency::Iqd),
        };
        let ctx = &self.ctx;
        if let Some(receipt) = attempt(tx, |c| sale::sell_in(c, ctx, &input, None))? {
            let line = &receipt.invoice.lines[0];
            recent.push_back((receipt.invoice.id.key(), line.item_id.key(), line.qty));
            if recent.len() > 50 {
                recent.pop_front();
            }
            if let Some(d) = receipt.debt {
                open_debts.push_back(d.id.key());
            }
        }
        Ok(())
    }

    fn transfer(&mut self, tx: &mut Transaction<'_>) -> Result<()> {
        self.act_as(Role::Cashier);
        let currency = if self.rng.random_bool(0.6) {
            Currency::Usd
        } else {
            Currency::Iqd
        };
        let amount = match currency {
            Currency::Usd => self.rng.random_range(50..3000) * 100,
            Currency::Iqd => self.rng.random_range(20..2000) * 1000,
        };
        let input = TransferInput {
            direction: if self.rng.random_bool(0.5) {
                TransferDirection::Send
            } else {
                TransferDirection::Receive
            },
            currency,
            amount,
            fee: amount / 100,
            party: format!("{} {}", self.pick(FIRST), self.pick(LAST)),
            phone: Some(format!("+964770{:07}", self.rng.random_range(0..10_000_000))),
        };
        let ctx = &self.ctx;
        attempt(tx, |c| transfer::record_transfer_in(c, ctx, &input))?;
        Ok(())
    }

    fn repairs(
        &mut self,
        tx: &mut Transaction<'_>,
        customers: &[String],
        items: &[(String, Currency)],
        tickets: &mut VecDeque<(String, ServiceStatus)>,
    ) -> Result<()> {
        self.act_as(Role::Manager);
        let input = TicketInput {
            customer_id: customers[self.rng.random_range(0..customers.len())].clone(),
            device: self.pick(DEVICES).into(),
            fault: Some(self.pick(FAULTS).into()),
            currency: Currency::Iqd,
            estimate: self.rng.random_range(10..200) * 250,
            deposit: self.rng.random_range(0..4) * 5000,
        };
        let ctx = &self.ctx;
        if let Some(t) = attempt(tx, |c| service::open_ticket_in(c, ctx, &input))? {
            tickets.push_back((t.id.key(), t.status));
        }
        // Move the older tickets one step along.
        for _ in 0..tickets.len().min(2) {
            let Some((id, status)) = tickets.pop_front() else { break };
            let next = match status {
                ServiceStatus::Received => ServiceStatus::Diagnosing,
                ServiceStatus::Diagnosing if self.rng.random_bool(0.4) => ServiceStatus::WaitingForParts,
                // Some customers give up: the part goes back to the store it
                // came from (often not the ticket's: each step is in a random store).
                ServiceStatus::WaitingForParts if self.rng.random_bool(0.2) => ServiceStatus::Cancelled,
                ServiceStatus::Diagnosing | ServiceStatus::WaitingForParts => ServiceStatus::Ready,
                _ => ServiceStatus::Delivered,
            };
            let ctx = &self.ctx;
            if next == ServiceStatus::WaitingForParts {
                let part = items[self.rng.random_range(0..items.len())].0.clone();
                attempt(tx, |c| service::use_part_in(c, ctx, &id, &part, 1))?;
            }
            let done = if next == ServiceStatus::Delivered {
                let paid_all = self.rng.random_bool(0.8);
                attempt(tx, |c| {
                    let t: crate::sections::ServiceTicket =
                        crate::ops::load(c, crate::sections::Table::Services, &id, "repair ticket")?;
                    let due = (t.estimate.unwrap_or(0) - t.deposit.unwrap_or(0)).max(0);
                    service::deliver_in(c, ctx, &id, None, if paid_all { due } else { due / 2 })
                })?
                .is_some()
            } else {
                attempt(tx, |c| service::advance_in(c, ctx, &id, next))?.is_some()
            };
            if done && !matches!(next, ServiceStatus::Delivered | ServiceStatus::Cancelled) {
                tickets.push_back((id, next));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::store_digests;
    use crate::DataDir;

    fn made(seed: u64) -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(tmp.path())).unwrap();
        generate(&mut store, Profile::Small, seed).unwrap();
        (tmp, store)
    }

    #[test]
    fn the_same_seed_gives_the_same_shop_and_another_seed_another() {
        let (a, b, c) = (made(42), made(42), made(43));
        let (da, db, dc) = (
            store_digests(&a.1).unwrap(),
            store_digests(&b.1).unwrap(),
            store_digests(&c.1).unwrap(),
        );
        assert_eq!(da, db);
        assert_ne!(da, dc);
    }

    #[test]
    fn a_generated_shop_passes_check_and_cancelled_parts_go_back_where_they_came_from() {
        let (_tmp, store) = made(5);
        assert_eq!(crate::ops::audit::audit(&store).unwrap(), Vec::<String>::new());
        // The shop has cancelled tickets whose part came from another store.
        let mut stmt = store
            .conn()
            .prepare("SELECT body FROM services WHERE status = 'cancelled'")
            .unwrap();
        let tickets: Vec<crate::sections::ServiceTicket> = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|b| serde_json::from_str(&b.unwrap()).unwrap())
            .collect();
        let elsewhere = tickets
            .iter()
            .filter(|t| t.parts.iter().any(|p| p.store_id.is_some() && p.store_id != t.store_id))
            .count();
        assert!(
            elsewhere > 0,
            "{} cancelled tickets, none with a part from another store",
            tickets.len()
        );
        assert!(crate::ops::books::cancelled_parts_off(store.conn()).unwrap().is_empty());
    }

    #[test]
    fn a_non_empty_store_is_refused() {
        let (_tmp, mut store) = made(1);
        assert!(matches!(
            generate(&mut store, Profile::Small, 1),
            Err(Error::GenNeedsEmptyStore { .. })
        ));
    }
}
