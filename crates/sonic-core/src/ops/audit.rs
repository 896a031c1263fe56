//! Checks that the shop's rules hold over the whole store: what the
//! operations promise, verified from the stored records. Used by
//! `sonic-pos-admin check`, by the crash tests and by the property tests.

use crate::error::Result;
use crate::sections::{Debt, Invoice, ReturnSale, SectionKey, StoreLocation, Table};
use crate::store::{self, Store};
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};

/// Every rule that does not hold, in words; empty when all hold.
pub fn audit(store: &Store) -> Result<Vec<String>> {
    let tx = store.conn().unchecked_transaction()?;
    let problems = audit_in(&tx)?;
    tx.commit()?;
    Ok(problems)
}

fn counter(conn: &Connection, key: SectionKey) -> Result<u64> {
    Ok(store::section_value(conn, key)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

fn numbers_gapless(problems: &mut Vec<String>, what: &str, mut numbers: Vec<u64>, counter: u64) {
    numbers.sort_unstable();
    let expected: Vec<u64> = (1..=counter).collect();
    if numbers != expected {
        let dupes = numbers.windows(2).filter(|w| w[0] == w[1]).count();
        problems.push(format!(
            "{what} numbers are not 1..={counter} without gaps: {} numbers, {dupes} repeated, highest {:?}",
            numbers.len(),
            numbers.last()
        ));
    }
}

pub(crate) fn audit_in(conn: &Connection) -> Result<Vec<String>> {
    let mut problems = Vec::new();

    // Every stored record passes the same validation an import applies, so
    // every backup of this store can be restored.
    for table in Table::ALL {
        let mut bad = 0usize;
        store::for_each_record(conn, table, |id, body| {
            let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
            if let Err(p) = table.validate(&value) {
                bad += 1;
                if bad <= 3 {
                    problems.push(format!("{} record {}: {p}", table.sql_name(), id.unwrap_or("(no id)")));
                }
            }
            Ok(())
        })?;
        if bad > 3 {
            problems.push(format!(
                "{} records of {} fail validation in all",
                bad,
                table.sql_name()
            ));
        }
    }

    // Invoice numbers, and every invoice's stock movements.
    let mut numbers = Vec::new();
    let mut moved: HashMap<String, i64> = HashMap::new();
    store::for_each_record(conn, Table::Inventory, |_, body| {
        let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        if let (Some(r), Some(d)) = (v["reference"].as_str(), v["delta"].as_i64()) {
            *moved.entry(r.to_string()).or_default() += d;
        }
        Ok(())
    })?;
    store::for_each_record(conn, Table::Invoices, |_, body| {
        let inv: Invoice = super::parse(body, Table::Invoices)?;
        numbers.push(inv.number);
        let sold: i64 = inv.lines.iter().map(|l| l.qty).sum();
        let lines: i64 = inv.lines.iter().filter_map(|l| l.total).sum();
        if moved.get(&inv.id.key()).copied().unwrap_or(0) != -sold {
            problems.push(format!(
                "invoice #{}: its stock movements do not match its lines",
                inv.number
            ));
        }
        if inv.total != lines - inv.discount.unwrap_or(0) {
            problems.push(format!(
                "invoice #{}: total {} is not the lines minus the discount",
                inv.number, inv.total
            ));
        }
        Ok(())
    })?;
    numbers_gapless(
        &mut problems,
        "invoice",
        numbers,
        counter(conn, SectionKey::InvoiceCounter)?,
    );

    let mut numbers = Vec::new();
    store::for_each_record(conn, Table::Returns, |_, body| {
        let r: ReturnSale = super::parse(body, Table::Returns)?;
        numbers.push(r.number);
        let qty: i64 = r.lines.iter().map(|l| l.qty).sum();
        if moved.get(&r.id.key()).copied().unwrap_or(0) != qty {
            problems.push(format!(
                "return #{}: its stock movements do not match its lines",
                r.number
            ));
        }
        Ok(())
    })?;
    numbers_gapless(
        &mut problems,
        "return",
        numbers,
        counter(conn, SectionKey::ReturnCounter)?,
    );

    // Repair tickets and transfers: numbers unique, and while their counter
    // exists, 1..=counter without gaps (before it, numbers were `count + 1`:
    // only repeats are wrong there).
    for kind in super::counters::Counted::ALL {
        let mut numbers = Vec::new();
        store::for_each_record(conn, kind.table(), |_, body| {
            let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
            if let Some(n) = v["number"].as_u64() {
                numbers.push(n);
            }
            Ok(())
        })?;
        let what = match kind {
            super::counters::Counted::Services => "repair ticket",
            super::counters::Counted::Transfers => "transfer",
        };
        match super::counters::current(conn, kind)? {
            Some(counter) => numbers_gapless(&mut problems, what, numbers, counter),
            None => {
                numbers.sort_unstable();
                let dupes = numbers.windows(2).filter(|w| w[0] == w[1]).count();
                if dupes > 0 {
                    problems.push(format!("{what} numbers: {dupes} repeated"));
                }
            }
        }
    }

    // Stock never below zero where a store does not allow it.
    let mut allow_negative = HashSet::new();
    store::for_each_record(conn, Table::Stores, |_, body| {
        let s: StoreLocation = super::parse(body, Table::Stores)?;
        if s.allow_negative_stock {
            allow_negative.insert(s.id.key());
        }
        Ok(())
    })?;
    let mut stmt = conn.prepare("SELECT DISTINCT item_id, store_id FROM inventory")?;
    let pairs = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (item, store_id) in pairs {
        if allow_negative.contains(&store_id) {
            continue;
        }
        let level = super::stock::level_in(conn, &item, &store_id)?;
        if level < 0 {
            problems.push(format!("stock of {item} in {store_id} is {level}"));
        }
    }

    // A cancelled repair gives each part back to the store it came from:
    // per item and store its movements come back to zero.
    for off in super::books::cancelled_parts_off(conn)? {
        let ticket = off
            .ticket_number
            .map_or_else(|| off.ticket_id.clone(), |n| format!("#{n}"));
        let what = if off.net > 0 { "created" } else { "still missing" };
        problems.push(format!(
            "cancelled repair ticket {ticket}: {} unit(s) of {} {what} in store {} (its parts went back to the wrong store)",
            off.net.abs(),
            off.item_id,
            off.store_id
        ));
    }

    // Debts: never paid beyond what was owed.
    store::for_each_record(conn, Table::Debts, |_, body| {
        let d: Debt = super::parse(body, Table::Debts)?;
        let left = super::debt::remaining(&d);
        if left < 0 {
            problems.push(format!("debt {} is overpaid by {}", d.id, -left));
        }
        Ok(())
    })?;
    Ok(problems)
}
