//! Helpers shared by the test modules.

use serde_json::Value;

/// Bytes of a hex string (spaces allowed).
pub fn unhex(s: &str) -> Vec<u8> {
    let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    codec_gn::hex::decode_vec(&clean.to_lowercase()).expect("valid hex")
}

/// Unix seconds of a `YYYY-MM-DD hh:mm:ss` wall clock at UTC+8, computed by
/// counting days (independent of the crate's civil-date algorithm).
pub fn beijing_to_unix(s: &str) -> i64 {
    let n: Vec<i64> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().unwrap())
        .collect();
    let (y, mo, d, h, mi, se) = (n[0], n[1], n[2], n[3], n[4], n[5]);
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mut days = 0i64;
    for year in 1970..y {
        days += if leap(year) { 366 } else { 365 };
    }
    let month_days = [
        31,
        if leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    days += month_days[..(mo - 1) as usize].iter().sum::<i64>();
    days += d - 1;
    days * 86_400 + h * 3600 + mi * 60 + se - 8 * 3600
}

/// Loads the GN lines of the shared vectors.
pub fn gn_vectors() -> Vec<Value> {
    let text = include_str!("../data/vectors.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["protocol"] == "gn")
        .collect()
}
