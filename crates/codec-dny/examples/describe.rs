//! Prints the JSON view of DNY bytes.
//!
//! `cargo run --example describe -- up 444e5910003b37ab0401002198080200000905ee02`
//!
//! The hex may hold a whole captured stream: every item is printed, one JSON
//! object per line.
#![allow(missing_docs)]

use codec_dny::{Direction, StreamDecoder, describe_item};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, hex) = match args.as_slice() {
        [d, h] if d == "up" => (Direction::Up, h),
        [d, h] if d == "down" => (Direction::Down, h),
        _ => {
            eprintln!("usage: describe up|down HEX");
            std::process::exit(2);
        }
    };
    let hex: String = hex.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    let bytes: Vec<u8> = hex
        .as_bytes()
        .chunks(2)
        .filter_map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect();
    let mut dec = StreamDecoder::new();
    if let Err(e) = dec.feed(&bytes) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    dec.finish();
    for item in dec {
        match item {
            Ok(item) => println!("{}", describe_item(&item, dir)),
            Err(e) => println!(
                "{}",
                serde_json::json!({"protocol": "dny", "error": e.to_string(), "kind": e.kind()})
            ),
        }
    }
}
