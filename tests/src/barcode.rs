//! Reading a printed barcode back, as a scanner does: one row of dots across
//! the bars, its run lengths divided by the narrowest, then the EAN-13 or
//! Code 128 tables (written out here from the standards, independently of
//! the app's encoder in ui/js/barcode.js).

use anyhow::{bail, Context as _};

use crate::printer::Image;

/// EAN-13 L-code digits as bar/space widths (space first: 3-2-1-1 for 0).
const EAN_L: [&str; 10] = [
    "3211", "2221", "2122", "1411", "1132", "1231", "1114", "1312", "1213", "3112",
];
const EAN_PARITY: [&str; 10] = [
    "LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLG", "LGGGGL", "LGLGLG", "LGLGGL",
];

const C128: [&str; 107] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213", "221312",
    "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132", "221231", "213212",
    "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211", "212123", "212321", "232121",
    "111323", "131123", "131321", "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331",
    "132131", "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131", "311123",
    "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111", "111224", "111422", "121124",
    "121421", "141122", "141221", "112214", "112412", "122114", "122411", "142112", "142211", "241211", "221114",
    "413111", "241112", "134111", "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112",
    "421211", "212141", "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
];

/// The run lengths of row `y`, from the first black dot to the last (bar first).
pub fn runs(image: &Image, y: usize) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    let mut last = None;
    for x in 0..image.width {
        let black = image.black(x, y);
        if last.is_none() && !black {
            continue;
        }
        if last == Some(black) {
            *out.last_mut().expect("a run is open") += 1;
        } else {
            out.push(1);
            last = Some(black);
        }
    }
    if last == Some(false) {
        out.pop();
    }
    out
}

/// Every barcode printed on `image`, top to bottom, read with `decode`:
/// each band of adjacent rows that decode, once, with what it says.
pub fn read_all(image: &Image, decode: fn(&[usize]) -> anyhow::Result<String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for y in 0..image.height {
        match decode(&runs(image, y)) {
            Ok(code) if !inside => {
                out.push(code);
                inside = true;
            }
            Ok(_) => {}
            Err(_) => inside = false,
        }
    }
    out
}

/// The runs in modules: each divided by the narrowest.
fn modules(runs: &[usize]) -> anyhow::Result<Vec<usize>> {
    let unit = runs.iter().copied().min().context("no bars")?;
    runs.iter()
        .map(|r| {
            if r % unit != 0 {
                bail!("a bar of {r} dots is not a whole number of {unit}-dot modules");
            }
            Ok(r / unit)
        })
        .collect()
}

fn widths(m: &[usize]) -> String {
    m.iter()
        .map(|w| char::from(b'0' + u8::try_from(*w).unwrap_or(9)))
        .collect()
}

/// Decodes an EAN-13 from its runs (bar first), checking the check digit.
pub fn decode_ean13(runs: &[usize]) -> anyhow::Result<String> {
    let m = modules(runs)?;
    // 3 guard + 6×4 + 5 middle + 6×4 + 3 guard.
    if m.len() != 59 || m[..3] != [1, 1, 1] || m[27..32] != [1, 1, 1, 1, 1] || m[56..] != [1, 1, 1] {
        bail!("not an EAN-13: {} runs {:?}", m.len(), m);
    }
    let mut digits = String::new();
    let mut parity = String::new();
    for i in 0..6 {
        let w = widths(&m[3 + i * 4..7 + i * 4]);
        // L: space-bar-space-bar; G is L reversed.
        if let Some(d) = EAN_L.iter().position(|l| *l == w) {
            digits.push(char::from(b'0' + d as u8));
            parity.push('L');
        } else if let Some(d) = EAN_L.iter().position(|l| l.chars().rev().collect::<String>() == w) {
            digits.push(char::from(b'0' + d as u8));
            parity.push('G');
        } else {
            bail!("digit {} of the left half ({w}) is not in the tables", i + 1);
        }
    }
    for i in 0..6 {
        // R: bar-space-bar-space with L's widths.
        let w = widths(&m[32 + i * 4..36 + i * 4]);
        let d = EAN_L
            .iter()
            .position(|l| *l == w)
            .with_context(|| format!("digit {} of the right half ({w}) is not in the tables", i + 7))?;
        digits.push(char::from(b'0' + d as u8));
    }
    let first = EAN_PARITY
        .iter()
        .position(|p| *p == parity)
        .with_context(|| format!("the parity {parity} names no first digit"))?;
    let code = format!("{first}{digits}");
    let sum: u32 = code[..12]
        .chars()
        .enumerate()
        .map(|(i, c)| c.to_digit(10).expect("a digit") * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    if (10 - sum % 10) % 10 != code[12..].parse::<u32>()? {
        bail!("{code}: the check digit is wrong");
    }
    Ok(code)
}

/// Decodes a Code 128 (sets B) from its runs (bar first), checking the
/// check symbol.
pub fn decode_code128(runs: &[usize]) -> anyhow::Result<String> {
    let m = modules(runs)?;
    if m.len() < 6 * 3 + 7 || (m.len() - 7) % 6 != 0 {
        bail!("not a Code 128: {} runs", m.len());
    }
    let symbols = (m.len() - 7) / 6;
    if widths(&m[m.len() - 7..]) != C128[106] {
        bail!("no Code 128 stop pattern");
    }
    let values: Vec<usize> = (0..symbols)
        .map(|i| {
            let w = widths(&m[i * 6..i * 6 + 6]);
            C128.iter()
                .position(|p| *p == w)
                .with_context(|| format!("symbol {i} ({w}) is not in the table"))
        })
        .collect::<anyhow::Result<_>>()?;
    if values[0] != 104 {
        bail!("the code does not start in set B ({})", values[0]);
    }
    let (data, check) = values[1..].split_at(values.len() - 2);
    let sum = values[0] + data.iter().enumerate().map(|(i, v)| v * (i + 1)).sum::<usize>();
    if sum % 103 != check[0] {
        bail!("the check symbol is wrong");
    }
    Ok(data
        .iter()
        .map(|v| char::from(u8::try_from(v + 32).unwrap_or(b'?')))
        .collect())
}
