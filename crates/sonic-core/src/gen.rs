//! Deterministic shop data for tests and benchmarks.
//!
//! The same profile and seed always give the same sections. `small` is a
//! couple of months of a small shop (seconds to make); `large` is about five
//! years of a busy one: ~20k items, ~5k customers, ~250k invoices, with
//! returns, transfers, repairs, debts, three stores and the logs.
//!
//! The data obeys the shop's rules: invoice, return and store numbers are
//! gapless and match their counters; stock never goes below zero and equals
//! the sum of its movements; every invoice stores its rate; totals use the
//! rounding rule of [`crate::money`]; unpaid balances are debts.

use crate::error::{Error, Result};
use crate::money::{self, DEFAULT_IQD_STEP};
use crate::sections::*;
use crate::snapshot::Document;
use crate::store::{record_total, Store, StoredRecord};
use argon2::password_hash::{PasswordHasher, SaltString};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
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

/// Fills an empty store with generated data in one transaction.
pub fn generate(store: &mut Store, profile: Profile, seed: u64) -> Result<crate::SectionCounts> {
    let records = record_total(store.conn())?;
    if records > 0 {
        return Err(Error::GenNeedsEmptyStore { records });
    }
    let doc = build(profile, seed)?;
    let tx = store.conn_mut().transaction()?;
    doc.write_into(&tx)?;
    tx.commit()?;
    store.counts()
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
const CASHIERS: &[&str] = &["owner", "manager", "cashier1"];

struct Gen {
    rng: ChaCha8Rng,
    doc: Document,
    start: DateTime<Utc>,
    movements: u64,
}

impl Gen {
    fn push<T: serde::Serialize>(&mut self, table: Table, id: Option<String>, record: &T) -> Result<()> {
        // Through a Value: its keys are sorted, which is the canonical form.
        let body = serde_json::to_value(record)
            .map_err(|e| Error::Invalid(e.to_string()))?
            .to_string();
        self.doc
            .tables
            .entry(table)
            .or_default()
            .push(StoredRecord { id, body });
        Ok(())
    }

    fn pick<'a>(&mut self, list: &'a [&'a str]) -> &'a str {
        list[self.rng.random_range(0..list.len())]
    }

    fn at(&self, minutes: i64) -> Timestamp {
        Timestamp::Rfc3339(self.start + Duration::minutes(minutes))
    }

    /// Records a stock movement of `delta` for an item in a store (0-based).
    fn movement(
        &mut self,
        item: &RecordId,
        store: usize,
        delta: i64,
        reason: &str,
        cost: Option<i64>,
        reference: Option<String>,
        at: Timestamp,
    ) -> Result<()> {
        self.movements += 1;
        let m = InventoryRecord {
            id: Some(RecordId::Text(format!("mv-{}", self.movements))),
            item_id: item.clone(),
            store_id: RecordId::Text(format!("store-{}", store + 1)),
            delta: Some(delta),
            quantity: None,
            reason: Some(reason.into()),
            unit_cost: cost,
            reference,
            at: Some(at),
            extra: Extra::new(),
        };
        self.push(Table::Inventory, m.id.as_ref().map(RecordId::key), &m)
    }
}

fn rate(text: &str) -> Result<Rate> {
    Rate::from_str(text).map_err(Error::Invalid)
}

fn pin_hash(pin: &str, salt_seed: u64) -> Result<String> {
    let salt =
        SaltString::encode_b64(&salt_seed.to_le_bytes().repeat(2)).map_err(|e| Error::Invalid(format!("salt: {e}")))?;
    argon2::Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Invalid(format!("hashing a PIN: {e}")))
}

/// Builds the generated shop as a document (not yet written).
pub fn build(profile: Profile, seed: u64) -> Result<Document> {
    let sizes = profile.sizes();
    // A fixed end date keeps the data the same whatever day it is made.
    let end = Utc
        .with_ymd_and_hms(2026, 11, 1, 18, 0, 0)
        .single()
        .expect("a valid fixed date");
    let start = end - Duration::days(sizes.days);
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
        doc: Document::default(),
        start,
        movements: 0,
    };
    let minutes_total = sizes.days * 24 * 60;

    // Stores and users.
    let store_names = ["Sonic Karrada", "Sonic Mansour", "Sonic Basra"];
    for (i, name) in store_names.iter().enumerate() {
        let s = StoreLocation {
            id: RecordId::Text(format!("store-{}", i + 1)),
            number: Some(i as u64 + 1),
            name: name.to_string(),
            address: Some(["Karrada Dakhil, Baghdad", "14 Ramadan St, Baghdad", "Al-Ashar, Basra"][i].to_string()),
            phone: Some(format!("+96477012345{i:02}")),
            allow_negative_stock: false,
            archived: false,
            created_at: Some(g.at(0)),
            extra: Extra::new(),
        };
        g.push(Table::Stores, Some(s.id.key()), &s)?;
    }
    g.doc
        .values
        .insert(SectionKey::StoreCounter, store_names.len().to_string());
    for (i, (name, role, pin)) in [
        ("owner", Role::Owner, "9999"),
        ("manager", Role::Manager, "5555"),
        ("cashier1", Role::Cashier, "1111"),
    ]
    .into_iter()
    .enumerate()
    {
        let u = User {
            id: RecordId::Text(format!("user-{}", i + 1)),
            name: name.to_string(),
            role,
            pin_hash: Some(pin_hash(pin, seed.wrapping_add(i as u64))?),
            failed_attempts: 0,
            locked_until: None,
            disabled: false,
            extra: Extra::new(),
        };
        g.push(Table::Users, Some(u.id.key()), &u)?;
    }
    let mut lockout = serde_json::Map::new();
    lockout.insert("maxAttempts".into(), 5.into());
    lockout.insert("lockMinutes".into(), 15.into());
    g.doc.values.insert(
        SectionKey::SecurityState,
        serde_json::json!({ "lockout": lockout }).to_string(),
    );

    // Items: phones priced in USD, accessories in IQD.
    struct ItemInfo {
        id: RecordId,
        name: String,
        currency: Currency,
        price: i64,
        cost: i64,
    }
    let mut items = Vec::with_capacity(sizes.items);
    for i in 0..sizes.items {
        let is_phone = g.rng.random_bool(0.35);
        let (name, currency, price) = if is_phone {
            let (brand, models) = BRANDS[g.rng.random_range(0..BRANDS.len())];
            let model = models[g.rng.random_range(0..models.len())];
            let storage = g.pick(STORAGE);
            let color = g.pick(COLORS);
            (
                format!("{brand} {model} {storage} {color}"),
                Currency::Usd,
                g.rng.random_range(90..1400) * 100,
            )
        } else {
            let acc = g.pick(ACCESSORIES);
            (
                format!("{acc} #{}", i % 97),
                Currency::Iqd,
                g.rng.random_range(4..200) * 250,
            )
        };
        let cost = price * g.rng.random_range(70..90) / 100;
        let item = Item {
            id: RecordId::Text(format!("item-{}", i + 1)),
            name: name.clone(),
            barcode: Some(format!("62{:011}", 10_000_000 + i as u64 * 7919 % 100_000_000)),
            category: Some(if is_phone { "phones" } else { "accessories" }.to_string()),
            currency: Some(currency),
            price: Some(price),
            cost: Some(cost),
            archived: false,
            created_at: Some(g.at(0)),
            extra: Extra::new(),
        };
        g.push(Table::Items, Some(item.id.key()), &item)?;
        items.push(ItemInfo {
            id: item.id,
            name,
            currency,
            price,
            cost,
        });
    }

    // Customers.
    for i in 0..sizes.customers {
        let first = g.pick(FIRST);
        let last = g.pick(LAST);
        let joined = g.rng.random_range(0..minutes_total / 2);
        let c = Customer {
            id: RecordId::Text(format!("cust-{}", i + 1)),
            name: format!("{first} {last}"),
            phone: Some(format!(
                "+964{}{:08}",
                ["770", "750", "780"][i % 3],
                g.rng.random_range(0..100_000_000)
            )),
            credit_limit: g.rng.random_bool(0.3).then(|| g.rng.random_range(4..40) * 250_000),
            archived: false,
            created_at: Some(g.at(joined)),
            extra: Extra::new(),
        };
        g.push(Table::Customers, Some(c.id.key()), &c)?;
    }

    // Opening stock in every store.
    let mut stock: HashMap<(usize, usize), i64> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        for s in 0..store_names.len() {
            let qty = g.rng.random_range(5..40);
            let at = g.at(0);
            g.movement(&item.id, s, qty, "receive", Some(item.cost), None, at)?;
            stock.insert((i, s), qty);
        }
    }

    // Sales over the period, with the rate drifting.
    let mut invoice_no = 0u64;
    let mut return_no = 0u64;
    let mut debt_no = 0u64;
    let mut rate_now = rust_decimal::Decimal::from(1310);
    let step = (minutes_total / sizes.invoices as i64).max(1);
    for n in 0..sizes.invoices {
        let minute = n as i64 * step + g.rng.random_range(0..step);
        let at = g.at(minute);
        if n % 500 == 0 {
            rate_now = (rate_now + rust_decimal::Decimal::from(g.rng.random_range(-15i64..=15)))
                .clamp(rust_decimal::Decimal::from(1280), rust_decimal::Decimal::from(1550));
        }
        let rate = Rate::new(rate_now).map_err(Error::Invalid)?;
        let store = g.rng.random_range(0..store_names.len());
        let currency = if g.rng.random_bool(0.3) {
            Currency::Usd
        } else {
            Currency::Iqd
        };
        let line_count = g.rng.random_range(1..=3);
        let mut lines = Vec::with_capacity(line_count);
        let mut subtotal = 0i64;
        for _ in 0..line_count {
            let idx = g.rng.random_range(0..items.len());
            let qty = if items[idx].currency == Currency::Usd {
                1
            } else {
                g.rng.random_range(1..=3)
            };
            if lines.iter().any(|l: &InvoiceLine| l.item_id == items[idx].id) {
                continue;
            }
            let have = stock.get(&(idx, store)).copied().unwrap_or(0);
            if have < qty {
                let restock = g.rng.random_range(10..50);
                g.movement(
                    &items[idx].id,
                    store,
                    restock,
                    "receive",
                    Some(items[idx].cost),
                    None,
                    at,
                )?;
                *stock.entry((idx, store)).or_default() += restock;
            }
            *stock.entry((idx, store)).or_default() -= qty;
            let total = money::convert(
                items[idx].price * qty,
                items[idx].currency,
                currency,
                rate,
                DEFAULT_IQD_STEP,
            )
            .ok_or_else(|| Error::Invalid("amount overflow".into()))?;
            subtotal += total;
            lines.push(InvoiceLine {
                item_id: items[idx].id.clone(),
                name: Some(items[idx].name.clone()),
                qty,
                currency: Some(items[idx].currency),
                unit_price: items[idx].price,
                discount: None,
                total: Some(total),
                unit_cost: Some(items[idx].cost),
                extra: Extra::new(),
            });
        }
        invoice_no += 1;
        let customer = g.rng.random_bool(0.4).then(|| g.rng.random_range(0..sizes.customers));
        let on_credit = customer.is_some() && g.rng.random_bool(0.08);
        let paid = if on_credit { subtotal / 2 } else { subtotal };
        let inv = Invoice {
            id: RecordId::Text(format!("inv-{invoice_no}")),
            number: invoice_no,
            currency,
            rate: Some(rate),
            lines: lines.clone(),
            subtotal: Some(subtotal),
            discount: None,
            total: subtotal,
            paid: Some(paid),
            change: Some(0),
            change_currency: None,
            payments: Vec::new(),
            customer_id: customer.map(|c| RecordId::Text(format!("cust-{}", c + 1))),
            store_id: Some(RecordId::Text(format!("store-{}", store + 1))),
            cashier: Some(CASHIERS[n % CASHIERS.len()].to_string()),
            created_at: Some(at),
            extra: Extra::new(),
        };
        g.push(Table::Invoices, Some(inv.id.key()), &inv)?;
        for line in &lines {
            g.movement(&line.item_id, store, -line.qty, "sale", None, Some(inv.id.key()), at)?;
            let ia = ItemActivity {
                id: None,
                item_id: line.item_id.clone(),
                kind: "sold".into(),
                qty: Some(-line.qty),
                reference: Some(inv.id.key()),
                store_id: inv.store_id.clone(),
                at: Some(at),
                extra: Extra::new(),
            };
            g.push(Table::ItemActivity, None, &ia)?;
        }
        let act = ActivityEntry {
            id: None,
            action: "sale".into(),
            user: inv.cashier.clone(),
            details: Some(format!("invoice #{invoice_no}: {subtotal} {currency}")),
            store_id: inv.store_id.clone(),
            at: Some(at),
            extra: Extra::new(),
        };
        g.push(Table::Activity, None, &act)?;
        if on_credit {
            debt_no += 1;
            let owed = subtotal - paid;
            let payments = if g.rng.random_bool(0.5) {
                vec![DebtPayment {
                    amount: owed / 2,
                    currency: Some(currency),
                    rate: None,
                    credited: Some(owed / 2),
                    at: Some(g.at(minute + 60 * 24 * 7)),
                    by: Some("cashier1".into()),
                    extra: Extra::new(),
                }]
            } else {
                Vec::new()
            };
            let d = Debt {
                id: RecordId::Text(format!("debt-{debt_no}")),
                customer_id: inv.customer_id.clone().expect("credit sales have a customer"),
                currency,
                amount: owed,
                source: Some("sale".into()),
                source_id: Some(inv.id.clone()),
                payments,
                status: Some("open".into()),
                created_at: Some(at),
                extra: Extra::new(),
            };
            g.push(Table::Debts, Some(d.id.key()), &d)?;
        }
        // About 1 in 25 sales has its first line returned the next day.
        if g.rng.random_bool(0.04) {
            return_no += 1;
            let line = &lines[0];
            let r = ReturnSale {
                id: RecordId::Text(format!("ret-{return_no}")),
                number: return_no,
                invoice_id: inv.id.clone(),
                currency,
                rate: Some(rate),
                lines: vec![ReturnLine {
                    item_id: line.item_id.clone(),
                    qty: line.qty,
                    amount: line.total,
                    extra: Extra::new(),
                }],
                refund: line.total.unwrap_or(0),
                reason: Some(["faulty", "changed mind", "wrong model"][g.rng.random_range(0..3)].into()),
                store_id: inv.store_id.clone(),
                cashier: inv.cashier.clone(),
                approved_by: Some("manager".into()),
                created_at: Some(g.at(minute + 60 * 24)),
                extra: Extra::new(),
            };
            g.push(Table::Returns, Some(r.id.key()), &r)?;
            let idx = items
                .iter()
                .position(|i| i.id == line.item_id)
                .expect("sold items exist");
            *stock.entry((idx, store)).or_default() += line.qty;
            let returned_at = g.at(minute + 60 * 24);
            g.movement(
                &line.item_id,
                store,
                line.qty,
                "return",
                None,
                Some(r.id.key()),
                returned_at,
            )?;
        }
    }
    g.doc.values.insert(SectionKey::InvoiceCounter, invoice_no.to_string());
    g.doc.values.insert(SectionKey::ReturnCounter, return_no.to_string());
    g.doc.values.insert(
        SectionKey::IqdPerUsd,
        serde_json::Value::String(rate_now.normalize().to_string()).to_string(),
    );
    g.doc.values.insert(
        SectionKey::IqdRate,
        serde_json::Value::String(rate(&(rate_now + rust_decimal::Decimal::from(5)).to_string())?.to_string())
            .to_string(),
    );

    // Transfers, about one for every 12 sales.
    for t in 0..sizes.invoices / 12 {
        let currency = if g.rng.random_bool(0.6) {
            Currency::Usd
        } else {
            Currency::Iqd
        };
        let amount = match currency {
            Currency::Usd => g.rng.random_range(50..3000) * 100,
            Currency::Iqd => g.rng.random_range(20..2000) * 1000,
        };
        let tr = Transfer {
            id: RecordId::Text(format!("tr-{}", t + 1)),
            number: Some(t as u64 + 1),
            direction: if g.rng.random_bool(0.5) {
                TransferDirection::Send
            } else {
                TransferDirection::Receive
            },
            currency,
            amount,
            fee: Some(amount / 100),
            rate: Some(rate("1315")?),
            party: format!("{} {}", g.pick(FIRST), g.pick(LAST)),
            phone: Some(format!("+964770{:07}", g.rng.random_range(0..10_000_000))),
            store_id: Some(RecordId::Text(format!("store-{}", g.rng.random_range(1..=3)))),
            cashier: Some("cashier1".into()),
            created_at: Some(g.at(t as i64 * 12 * step)),
            extra: Extra::new(),
        };
        g.push(Table::Transfers, Some(tr.id.key()), &tr)?;
    }

    // Repair tickets, about one for every 30 sales.
    let flow = [
        ServiceStatus::Received,
        ServiceStatus::Diagnosing,
        ServiceStatus::WaitingForParts,
        ServiceStatus::Ready,
        ServiceStatus::Delivered,
    ];
    for s in 0..sizes.invoices / 30 {
        let minute = s as i64 * 30 * step;
        let steps = if s + 20 > sizes.invoices / 30 {
            g.rng.random_range(1..=4)
        } else {
            5
        };
        let history: Vec<ServiceStatusChange> = flow[..steps]
            .iter()
            .enumerate()
            .map(|(k, st)| ServiceStatusChange {
                status: *st,
                at: g.at(minute + k as i64 * 600),
                by: Some("manager".into()),
                extra: Extra::new(),
            })
            .collect();
        let t = ServiceTicket {
            id: RecordId::Text(format!("svc-{}", s + 1)),
            number: Some(s as u64 + 1),
            customer_id: Some(RecordId::Text(format!(
                "cust-{}",
                g.rng.random_range(1..=sizes.customers)
            ))),
            device: g.pick(DEVICES).to_string(),
            fault: Some(g.pick(FAULTS).to_string()),
            status: flow[steps - 1],
            currency: Some(Currency::Iqd),
            estimate: Some(g.rng.random_range(10..200) * 250),
            deposit: Some(0),
            history,
            parts: Vec::new(),
            store_id: Some(RecordId::Text("store-1".into())),
            created_at: Some(g.at(minute)),
            extra: Extra::new(),
        };
        g.push(Table::Services, Some(t.id.key()), &t)?;
    }

    // A few cash transactions.
    for x in 0..(sizes.days as usize / 7).max(1) {
        let tx = ShopTransaction {
            id: RecordId::Text(format!("txn-{}", x + 1)),
            kind: Some(["expense", "deposit"][x % 2].into()),
            currency: Currency::Iqd,
            amount: if x % 2 == 0 {
                -g.rng.random_range(4..80) * 2500
            } else {
                g.rng.random_range(4..80) * 25_000
            },
            note: Some(["rent", "electricity (مولدة)", "owner deposit", "internet"][x % 4].into()),
            store_id: Some(RecordId::Text("store-1".into())),
            created_at: Some(g.at(x as i64 * 7 * 24 * 60)),
            extra: Extra::new(),
        };
        g.push(Table::ShopTransactions, Some(tx.id.key()), &tx)?;
    }
    Ok(g.doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_shop_and_another_seed_another() {
        let a = build(Profile::Small, 42).unwrap().digests().unwrap();
        let b = build(Profile::Small, 42).unwrap().digests().unwrap();
        let c = build(Profile::Small, 43).unwrap().digests().unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn generated_data_passes_the_import_validation_and_keeps_stock_non_negative() {
        let doc = build(Profile::Small, 3).unwrap();
        let mut bytes = Vec::new();
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&crate::DataDir::at(tmp.path())).unwrap();
        let tx = store.conn_mut().transaction().unwrap();
        doc.write_into(&tx).unwrap();
        tx.commit().unwrap();
        crate::snapshot::export(
            &store,
            &crate::snapshot::ExportInfo {
                reason: "t".into(),
                backup_id: None,
            },
            &mut bytes,
        )
        .unwrap();
        let parsed = crate::snapshot::parse_bytes(&bytes, "gen").unwrap();
        let mut stock: HashMap<(String, String), i64> = HashMap::new();
        for r in parsed.records(Table::Inventory) {
            let m: InventoryRecord = serde_json::from_str(&r.body).unwrap();
            let level = stock.entry((m.item_id.key(), m.store_id.key())).or_default();
            *level += m.delta.unwrap();
            assert!(*level >= 0, "stock of {:?} went negative", m.item_id);
        }
        assert_eq!(parsed.counts()[&SectionKey::Invoices], 600);
    }
}
