//! Money conversion between IQD and USD: the one place with a rounding rule.
//!
//! Amounts are integers in minor units: IQD in dinars, USD in cents. A rate is
//! IQD per 1 USD, a decimal.
//!
//! **Rounding rule.** USD → IQD: `cents × rate / 100`, rounded half away from
//! zero to the nearest multiple of the IQD step (250 by default; dinar coins
//! below that are not in use). IQD → USD: `dinars × 100 / rate`, rounded half
//! away from zero to the cent.

use crate::sections::{Currency, Rate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// The default IQD rounding step, in dinars.
pub const DEFAULT_IQD_STEP: i64 = 250;

/// Converts `amount` (minor units of `from`) to minor units of `to`.
/// Returns `None` only if the result does not fit an `i64`.
pub fn convert(amount: i64, from: Currency, to: Currency, rate: Rate, iqd_step: i64) -> Option<i64> {
    match (from, to) {
        (a, b) if a == b => Some(amount),
        (Currency::Usd, Currency::Iqd) => {
            let dinars = Decimal::from(amount).checked_mul(rate.value())? / Decimal::from(100);
            round_to_step(dinars, iqd_step.max(1))
        }
        (Currency::Iqd, Currency::Usd) => {
            let cents = Decimal::from(amount).checked_mul(Decimal::from(100))? / rate.value();
            cents
                .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
                .to_i64()
        }
        _ => unreachable!("only two currencies"),
    }
}

/// `amount` in `currency` shown in the other currency at `rate` (dinars
/// rounded to `iqd_step`), as the till and the receipt show both totals.
pub fn in_other_currency(amount: i64, currency: Currency, rate: Rate, iqd_step: i64) -> Option<(Currency, i64)> {
    let other = currency.other();
    convert(amount, currency, other, rate, iqd_step).map(|v| (other, v))
}

/// Rounds dinars to the nearest multiple of `step`, halves away from zero.
pub fn round_to_step(dinars: Decimal, step: i64) -> Option<i64> {
    let step = Decimal::from(step.max(1));
    let units = (dinars / step).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    (units * step).to_i64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn rate(s: &str) -> Rate {
        Rate::from_str(s).unwrap()
    }

    #[test]
    fn usd_to_iqd_rounds_to_the_step() {
        // $12.34 at 1310 = 16,165.4 IQD → nearest 250 = 16,250.
        assert_eq!(
            convert(1234, Currency::Usd, Currency::Iqd, rate("1310"), 250),
            Some(16_250)
        );
        // $1.00 at 1310 = 1310 → 1250 (1310 is nearer 1250 than 1500).
        assert_eq!(
            convert(100, Currency::Usd, Currency::Iqd, rate("1310"), 250),
            Some(1_250)
        );
        // Exactly half a step rounds away from zero: 125 → 250.
        assert_eq!(round_to_step(Decimal::from(125), 250), Some(250));
        assert_eq!(convert(100, Currency::Usd, Currency::Iqd, rate("1310"), 1), Some(1_310));
    }

    #[test]
    fn iqd_to_usd_rounds_to_the_cent() {
        // 25,000 IQD at 1310 = $19.0839… → 1908 cents.
        assert_eq!(
            convert(25_000, Currency::Iqd, Currency::Usd, rate("1310"), 250),
            Some(1908)
        );
        assert_eq!(convert(500, Currency::Iqd, Currency::Iqd, rate("1310"), 250), Some(500));
    }
}
