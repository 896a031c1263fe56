//! The canonical JSON text of a record, defined here and not by a library
//! version: it is what the database stores, what a backup holds and hashes,
//! and what the server's pages hash. Any change to it changes every hash, so
//! it is pinned by a golden test (bytes and SHA-256).
//!
//! - No whitespace outside strings.
//! - Object members sorted by the UTF-8 bytes of their keys (the same order
//!   as by Unicode code points; RFC 8785 sorts by UTF-16 code units, which
//!   differs only between keys holding characters above U+FFFF and keys
//!   holding U+E000–U+FFFF).
//! - Strings: `"` and `\` escaped with a backslash; U+0008, U+0009, U+000A,
//!   U+000C, U+000D as `\b \t \n \f \r`; every other character below U+0020
//!   as `\u00xx` (lowercase hex); everything else as itself (UTF-8).
//! - Numbers: an integer that fits in 64 bits (signed or unsigned) as its
//!   decimal digits, exactly (beyond 2^53 too). Any other number is a binary64,
//!   written with the shortest digits that read back to the same double, laid
//!   out as ryu lays them out (and as serde_json wrote them up to 1.0.153):
//!   plain with at least one decimal when the decimal point falls within the
//!   first 16 digits (`1.0`, `-0.0`, `123.456`, `1000000000000000.0`) or
//!   at most 4 zeros after it (`0.00001`); else `d.ddde<exp>` with a sign only
//!   when negative (`1e16`, `1.5e-7`, `5e-324`). A non-integer number thus
//!   stays one when read back (`1.0` is not `1`), so a record's text is the
//!   same after any number of round trips. The shortest digits come from
//!   Rust's own float formatting, specified as shortest round-trip; the
//!   layout is this module's.
//!
//! Backups of export format 1 were hashed over the text the serde_json of
//! their build wrote: up to 1.0.153 the form above; 1.0.154 writes a `+` in
//! a positive exponent (`1e+16`). [`to_string_format1`] gives that form for
//! verifying format 1 files.

use serde_json::{Number, Value};

/// The canonical JSON text of `value`.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// Appends the canonical JSON text of `value` to `out`.
pub fn write(value: &Value, out: &mut String) {
    write_with(value, out, Floats::Canonical);
}

/// The text serde_json 1.0.154 wrote for `value` (a format 1 file of that
/// build): as [`to_string`], but a positive exponent signed (`1e+16`).
pub fn to_string_format1(value: &Value) -> String {
    let mut out = String::new();
    write_with(value, &mut out, Floats::SignedExponent);
    out
}

/// Whether `value` holds a number that is not a 64-bit integer (the only
/// thing the forms differ in).
pub fn has_float(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.as_i64().is_none() && n.as_u64().is_none(),
        Value::Array(items) => items.iter().any(has_float),
        Value::Object(map) => map.values().any(has_float),
        _ => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Floats {
    Canonical,
    SignedExponent,
}

fn write_with(value: &Value, out: &mut String, floats: Floats) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out, floats),
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_with(item, out, floats);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sorted here, whatever order the map keeps (serde_json's
            // `preserve_order` feature may be on in the workspace).
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(key, out);
                out.push(':');
                write_with(item, out, floats);
            }
            out.push('}');
        }
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{0C}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_number(n: &Number, out: &mut String, floats: Floats) {
    if let Some(i) = n.as_i64() {
        out.push_str(&i.to_string());
    } else if let Some(u) = n.as_u64() {
        out.push_str(&u.to_string());
    } else if let Some(x) = n.as_f64() {
        write_float(x, out, floats);
    } else {
        // Only with serde_json's `arbitrary_precision`: keep the text.
        out.push_str(&n.to_string());
    }
}

/// The shortest decimal digits of |x| that read back to x, and the
/// exponent `n` with |x| = 0.d1d2d3… × 10^n. Zero is ("0", 1).
fn shortest(x: f64) -> (String, i32) {
    // `{:e}` is Rust's shortest round-trip form: `1e16`, `1.2345e-7`, `0e0`.
    let text = format!("{:e}", x.abs());
    let (mantissa, exp) = text.split_once('e').unwrap_or((text.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    (digits, exp + 1)
}

/// The layout of ryu's `format64` (serde_json up to 1.0.153); zmij
/// (serde_json 1.0.154) lays out the same but signs a positive exponent.
fn write_float(x: f64, out: &mut String, floats: Floats) {
    if x.is_sign_negative() {
        out.push('-');
    }
    if x == 0.0 {
        out.push_str("0.0");
        return;
    }
    let (digits, kk) = shortest(x);
    let length = digits.len() as i32;
    let k = kk - length;
    if 0 <= k && kk <= 16 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', k as usize));
        out.push_str(".0");
    } else if 0 < kk && kk <= 16 {
        out.push_str(&digits[..kk as usize]);
        out.push('.');
        out.push_str(&digits[kk as usize..]);
    } else if -5 < kk && kk <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-kk) as usize));
        out.push_str(&digits);
    } else {
        let e = kk - 1;
        out.push_str(&digits[..1]);
        if length > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        if e < 0 {
            out.push('-');
        } else if floats == Floats::SignedExponent {
            out.push('+');
        }
        out.push_str(&e.abs().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sha2::{Digest, Sha256};

    /// The golden record: any change to these bytes changes every backup's
    /// hashes and every page on the server.
    #[test]
    fn the_canonical_form_of_the_golden_record_is_pinned() {
        let record: Value = serde_json::from_str(
            r#"{
                "zeta": [1e16, -0.0, 5e-324, 1.0, 0.1, 1e21, 1.5e-7, 123.456, -2.5e-300, 1e300],
                "big": [9007199254740993, 18446744073709551615, -9223372036854775808],
                "text": "quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f nul \u0000 us \u001f del \u007f",
                "arabic": "سونيك — جهاز",
                "emoji": "📱🔧",
                "Äpfel": true,
                "a": null,
                "nested": {"b": {}, "a": []}
            }"#,
        )
        .unwrap();
        let text = to_string(&record);
        let expected = concat!(
            r#"{"a":null,"arabic":"سونيك — جهاز","big":[9007199254740993,18446744073709551615,-9223372036854775808],"#,
            r#""emoji":"📱🔧","nested":{"a":[],"b":{}},"#,
            r#""text":"quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f nul \u0000 us \u001f del "#,
            "\u{7f}",
            r#"","zeta":[1e16,-0.0,5e-324,1.0,0.1,1e21,1.5e-7,123.456,-2.5e-300,1e300],"Äpfel":true}"#
        );
        assert_eq!(text, expected);
        assert_eq!(
            hex::encode(Sha256::digest(text.as_bytes())),
            "28d30df3f4c79ef8d1824905797939110619988d7b081a9cdf92ecb743948a28"
        );
    }

    #[test]
    fn numbers_are_laid_out_like_ryu_and_format1_signs_positive_exponents() {
        let v = json!([1e16, -0.0, 5e-324, 1.0, 1e15, 0.0001, 1e-5, 1.5e-7, 1e21, 123.456, -1.5e300]);
        assert_eq!(
            to_string(&v),
            "[1e16,-0.0,5e-324,1.0,1000000000000000.0,0.0001,0.00001,1.5e-7,1e21,123.456,-1.5e300]"
        );
        assert_eq!(
            to_string_format1(&v),
            "[1e+16,-0.0,5e-324,1.0,1000000000000000.0,0.0001,0.00001,1.5e-7,1e+21,123.456,-1.5e+300]"
        );
    }

    #[test]
    fn integers_and_text_are_written_as_serde_json_writes_them() {
        let v = json!({"b": [1, -1, u64::MAX, i64::MIN, "é\u{1}\u{7f}"], "a": {"y": null, "x": true}});
        assert_eq!(to_string(&v), v.to_string());
    }

    #[test]
    fn the_canonical_text_reads_back_to_the_same_value() {
        let mut x = 1.0e-320_f64;
        while x < 1e308 {
            for y in [x, -x, x * 1.37, x / 3.0] {
                let v = json!(y);
                let text = to_string(&v);
                let back: Value = serde_json::from_str(&text).unwrap();
                assert!(back.is_f64(), "{text} reads back as a non-integer");
                assert_eq!(back.as_f64(), Some(y), "{y:e} → {text}");
                assert_eq!(to_string(&back), text, "the text is stable");
            }
            x *= 7.3;
        }
    }
}
