//! Field types shared by the records of every section.

use super::FieldProblem;
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;
use std::str::FromStr;

/// Fields of a record that this version of the code does not know. They are
/// kept verbatim so that a record from an older or newer POS survives.
pub type Extra = serde_json::Map<String, Value>;

/// A record id as the old POS wrote it: a number (often `Date.now()`) or a
/// string. The form is kept, so an import followed by an export changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordId {
    Number(i64),
    Text(String),
}

impl RecordId {
    /// The id as text: the unique key of the record in its table.
    pub fn key(&self) -> String {
        match self {
            RecordId::Number(n) => n.to_string(),
            RecordId::Text(s) => s.clone(),
        }
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordId::Number(n) => write!(f, "{n}"),
            RecordId::Text(s) => write!(f, "{s:?}"),
        }
    }
}

impl Serialize for RecordId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RecordId::Number(n) => s.serialize_i64(*n),
            RecordId::Text(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for RecordId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => n
                .as_i64()
                .map(RecordId::Number)
                .ok_or_else(|| de::Error::custom(format!("must be a whole number or a string, found {n}"))),
            Value::String(s) if !s.trim().is_empty() => Ok(RecordId::Text(s)),
            Value::String(_) => Err(de::Error::custom("must not be empty")),
            other => Err(de::Error::custom(format!(
                "must be a number or a string, found {}",
                kind_of(&other)
            ))),
        }
    }
}

/// A point in time: an RFC 3339 string (what this POS writes) or milliseconds
/// since 1970 (what the old POS's `Date.now()` wrote). The form is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamp {
    Rfc3339(DateTime<Utc>),
    Millis(i64),
}

impl Timestamp {
    /// Now, as this POS writes it.
    pub fn now() -> Timestamp {
        Timestamp::Rfc3339(Utc::now())
    }

    /// The instant, in UTC.
    pub fn instant(self) -> DateTime<Utc> {
        match self {
            Timestamp::Rfc3339(t) => t,
            Timestamp::Millis(ms) => Utc.timestamp_millis_opt(ms).single().unwrap_or_default(),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Timestamp::Rfc3339(t) => s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            Timestamp::Millis(ms) => s.serialize_i64(*ms),
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const WANT: &str = "must be an RFC 3339 date-time (2024-05-01T09:30:00Z) or milliseconds since 1970";
        match Value::deserialize(d)? {
            Value::String(s) => DateTime::parse_from_rfc3339(&s)
                .map(|t| Timestamp::Rfc3339(t.with_timezone(&Utc)))
                .map_err(|e| de::Error::custom(format!("{WANT}; {s:?} is not ({e})"))),
            Value::Number(n) => match n.as_i64() {
                Some(ms) if Utc.timestamp_millis_opt(ms).single().is_some() => Ok(Timestamp::Millis(ms)),
                _ => Err(de::Error::custom(format!("{WANT}; {n} is not"))),
            },
            other => Err(de::Error::custom(format!("{WANT}; found {}", kind_of(&other)))),
        }
    }
}

/// The two currencies of the shop. Amounts are integers in the currency's
/// minor unit: IQD in dinars, USD in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Currency {
    #[serde(rename = "IQD")]
    Iqd,
    #[serde(rename = "USD")]
    Usd,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Iqd => "IQD",
            Currency::Usd => "USD",
        }
    }

    /// The shop's other currency.
    pub fn other(self) -> Currency {
        match self {
            Currency::Iqd => Currency::Usd,
            Currency::Usd => Currency::Iqd,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An exchange rate: a positive decimal, exact (never a float). Written as a
/// JSON string (`"1310.5"`); read from a string or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(Decimal);

impl Rate {
    /// A rate from a decimal, refused unless it is positive.
    pub fn new(value: Decimal) -> Result<Rate, String> {
        if value > Decimal::ZERO {
            Ok(Rate(value.normalize()))
        } else {
            Err(format!("must be a positive number, found {value}"))
        }
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    /// Reads a rate from a JSON value: a number or a numeric string.
    pub fn from_json(value: &Value) -> Result<Rate, String> {
        let text = match value {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.trim().to_string(),
            other => return Err(format!("must be a positive number, found {}", kind_of(other))),
        };
        let parsed = Decimal::from_str(&text)
            .or_else(|_| Decimal::from_scientific(&text))
            .map_err(|_| format!("must be a positive number, found {text:?}"))?;
        Rate::new(parsed)
    }
}

impl FromStr for Rate {
    type Err = String;
    fn from_str(s: &str) -> Result<Rate, String> {
        Rate::from_json(&Value::String(s.to_string()))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Rate::from_json(&Value::deserialize(d)?).map_err(de::Error::custom)
    }
}

/// A short name for the JSON type of a value, for error messages.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Deserialises a typed record from JSON, naming the failing field.
pub(crate) fn from_value<T: de::DeserializeOwned>(value: &Value) -> Result<T, FieldProblem> {
    if !value.is_object() {
        return Err(FieldProblem::new(
            "",
            format!("the record must be an object, found {}", kind_of(value)),
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let message = err.inner().to_string();
        // serde says "missing field `x`" at the parent: name the field itself.
        if let Some(rest) = message.strip_prefix("missing field `") {
            let name = rest.trim_end_matches('`');
            let field = if path.is_empty() {
                name.to_string()
            } else {
                format!("{path}.{name}")
            };
            return FieldProblem::new(field, "is missing");
        }
        FieldProblem::new(path, message)
    })
}

/// `amount` must be zero or more.
pub(crate) fn non_negative(field: &str, amount: Option<i64>) -> Result<(), FieldProblem> {
    match amount {
        Some(a) if a < 0 => Err(FieldProblem::new(field, format!("must not be negative, found {a}"))),
        _ => Ok(()),
    }
}

/// `qty` must be more than zero.
pub(crate) fn positive(field: &str, qty: i64) -> Result<(), FieldProblem> {
    if qty <= 0 {
        let what = if qty < 0 { "negative" } else { "zero" };
        Err(FieldProblem::new(
            field,
            format!("must be more than zero, found {qty} ({what})"),
        ))
    } else {
        Ok(())
    }
}

/// A text field that must hold something.
pub(crate) fn not_blank(field: &str, text: &str) -> Result<(), FieldProblem> {
    if text.trim().is_empty() {
        Err(FieldProblem::new(field, "must not be empty"))
    } else {
        Ok(())
    }
}

/// Runs `check` on each element of a list field, naming the element that fails.
pub(crate) fn each<T>(
    field: &str,
    items: &[T],
    check: impl Fn(&T) -> Result<(), FieldProblem>,
) -> Result<(), FieldProblem> {
    for (i, item) in items.iter().enumerate() {
        check(item).map_err(|p| p.inside(&format!("{field}[{i}]")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_keep_their_json_form() {
        let n: RecordId = serde_json::from_value(json!(1700000000123_i64)).unwrap();
        let s: RecordId = serde_json::from_value(json!("inv-7")).unwrap();
        assert_eq!(serde_json::to_value(&n).unwrap(), json!(1700000000123_i64));
        assert_eq!(serde_json::to_value(&s).unwrap(), json!("inv-7"));
        assert!(serde_json::from_value::<RecordId>(json!("  ")).is_err());
        assert!(serde_json::from_value::<RecordId>(json!(1.5)).is_err());
    }

    #[test]
    fn timestamps_accept_iso_and_millis() {
        let iso: Timestamp = serde_json::from_value(json!("2024-05-01T09:30:00Z")).unwrap();
        let ms: Timestamp = serde_json::from_value(json!(1714555800000_i64)).unwrap();
        assert_eq!(iso.instant(), ms.instant());
        let err = serde_json::from_value::<Timestamp>(json!("yesterday")).unwrap_err();
        assert!(err.to_string().contains("RFC 3339"), "{err}");
    }

    #[test]
    fn rates_are_exact_decimals_from_numbers_or_strings() {
        assert_eq!(Rate::from_json(&json!(1310.5)).unwrap().to_string(), "1310.5");
        assert_eq!(Rate::from_json(&json!("1475")).unwrap().to_string(), "1475");
        assert!(Rate::from_json(&json!(0)).is_err());
        assert!(Rate::from_json(&json!(-3)).is_err());
        assert!(Rate::from_json(&json!("abc")).unwrap_err().contains("abc"));
    }
}
