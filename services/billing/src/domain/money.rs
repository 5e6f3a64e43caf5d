//! Money as people read it. Amounts stay in integer fen everywhere; only the invoice
//! export shows yuan, because the tax system takes yuan with two decimals.

/// `1234` → `"12.34"`, `-5` → `"-0.05"`. Exact for every `i64`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_decimals_and_sign() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(1234), "12.34");
        assert_eq!(yuan(100), "1.00");
        assert_eq!(yuan(-5), "-0.05");
        assert_eq!(yuan(-1234), "-12.34");
        assert_eq!(yuan(i64::MIN), "-92233720368547758.08");
    }
}
