//! Alipay's yuan strings, on paysim's side of the wire. Strict: the gateway refuses
//! amounts with more than two decimals.

pub fn fen_to_yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

pub fn yuan_to_fen(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 12
        || frac.len() > 2
        || !digits(whole)
        || !digits(frac)
        || s.ends_with('.')
    {
        return None;
    }
    let frac = format!("{frac:0<2}");
    Some(whole.parse::<i64>().ok()? * 100 + frac.parse::<i64>().ok()?)
}
