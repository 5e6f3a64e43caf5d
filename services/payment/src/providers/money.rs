//! Yuan strings (Alipay's `"12345.67"`) to integer fen and back, without floats: a
//! float would turn 0.29 yuan into 28.999… fen.

/// `"12345.67"` → 1234567. Accepts digits with an optional `.` and one or two decimals
/// (`"1"`, `"0.1"`, `"0.10"`), nothing else: no sign, exponent, spaces or third decimal.
pub fn yuan_to_fen(s: &str) -> Option<i64> {
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    if whole.is_empty()
        || whole.len() > 15
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || (s.contains('.') && frac.is_empty())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let yuan: i64 = whole.parse().ok()?;
    let fen: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    yuan.checked_mul(100)?.checked_add(fen)
}

/// 1234567 → `"12345.67"`; `None` for negative amounts.
pub fn fen_to_yuan(fen: i64) -> Option<String> {
    (fen >= 0).then(|| format!("{}.{:02}", fen / 100, fen % 100))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_exactly() {
        for (yuan, fen) in [
            ("0.01", 1),
            ("0.10", 10),
            ("0.29", 29),
            ("1.00", 100),
            ("12345.67", 1_234_567),
            ("100000000.00", 10_000_000_000),
        ] {
            assert_eq!(yuan_to_fen(yuan), Some(fen), "{yuan}");
            assert_eq!(fen_to_yuan(fen).as_deref(), Some(yuan), "{fen}");
        }
    }

    #[test]
    fn short_forms_parse() {
        assert_eq!(yuan_to_fen("1"), Some(100));
        assert_eq!(yuan_to_fen("0.1"), Some(10));
        assert_eq!(yuan_to_fen("007.5"), Some(750));
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            ".",
            "1.",
            ".5",
            "-1.00",
            "+1",
            "1.001",
            "1e2",
            " 1",
            "1,00",
            "１.00",
            "9999999999999999",
        ] {
            assert_eq!(yuan_to_fen(bad), None, "{bad:?}");
        }
        assert_eq!(fen_to_yuan(-1), None);
    }
}
