//! `pylon decode`: device frames as JSON, one object per frame, for operators and for
//! debugging captures. Malformed input is reported on stderr and the exit status is 2.

use std::process::ExitCode;

use bytes::BytesMut;
use clap::ValueEnum;
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProtocolArg {
    /// Detect from the first frame header in each input.
    Auto,
    Dny,
    Gn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DirectionArg {
    /// GN frames say it; DNY frames are decoded the way that yields a typed message.
    Auto,
    Up,
    Down,
}

/// Decodes every input, printing frames to stdout and problems to stderr.
pub fn run(protocol: ProtocolArg, direction: DirectionArg, args: &[String]) -> ExitCode {
    let inputs = match inputs(args) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut ok = true;
    for bytes in inputs {
        let proto = match protocol {
            ProtocolArg::Auto => match detect(&bytes) {
                Some(p) => p,
                None => {
                    eprintln!("no DNY or GN frame header in {} bytes", bytes.len());
                    ok = false;
                    continue;
                }
            },
            p => p,
        };
        let mut emit = |v: Value| println!("{v}");
        ok &= match proto {
            ProtocolArg::Gn => gn(&bytes, direction, &mut emit),
            _ => dny(&bytes, direction, &mut emit),
        };
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

/// Each argument is one input (a frame or a captured stream), hex with or without
/// spaces. A dump the shell split into byte-sized arguments is joined back into one.
fn inputs(args: &[String]) -> Result<Vec<Vec<u8>>, String> {
    let parse = |i: usize, s: &str| -> Result<Vec<u8>, String> {
        let digits: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ':')
            .collect();
        let digits = digits.strip_prefix("0x").unwrap_or(&digits);
        if digits.is_empty() {
            return Err(format!("argument {} is empty", i + 1));
        }
        if let Some(bad) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(format!("argument {} is not hex: unexpected {bad:?}", i + 1));
        }
        if digits.len() % 2 == 1 {
            return Err(format!(
                "argument {} has an odd number of hex digits ({})",
                i + 1,
                digits.len()
            ));
        }
        Ok((0..digits.len())
            .step_by(2)
            .filter_map(|k| u8::from_str_radix(digits.get(k..k + 2)?, 16).ok())
            .collect())
    };
    if args.len() > 1 && args.iter().all(|a| a.trim().len() == 2) {
        return Ok(vec![parse(0, &args.concat())?]);
    }
    args.iter().enumerate().map(|(i, a)| parse(i, a)).collect()
}

/// The protocol of the first frame header found.
fn detect(bytes: &[u8]) -> Option<ProtocolArg> {
    let dny = bytes.windows(3).position(|w| w == b"DNY");
    let gn = bytes
        .windows(2)
        .position(|w| w == [0xFC, 0xFE] || w == [0xFC, 0xFF]);
    match (dny, gn) {
        (Some(d), Some(g)) => Some(if d <= g {
            ProtocolArg::Dny
        } else {
            ProtocolArg::Gn
        }),
        (Some(_), None) => Some(ProtocolArg::Dny),
        (None, Some(_)) => Some(ProtocolArg::Gn),
        (None, None) => None,
    }
}

fn dny(bytes: &[u8], direction: DirectionArg, emit: &mut dyn FnMut(Value)) -> bool {
    use codec_dny::{Direction, Item, StreamDecoder};
    let mut dec = StreamDecoder::new();
    if let Err(e) = dec.feed(bytes) {
        eprintln!("{e}");
        return false;
    }
    dec.finish();
    let mut ok = true;
    // The rest of a rejected frame comes back as garbage: the error already said why.
    let mut after_error = false;
    loop {
        let item = dec.decode_next();
        let was_error = std::mem::replace(&mut after_error, item.is_err());
        match item {
            Ok(None) => return ok,
            Ok(Some(Item::Frame(f))) => {
                let dir = match direction {
                    DirectionArg::Up => Direction::Up,
                    DirectionArg::Down => Direction::Down,
                    DirectionArg::Auto => codec_dny::guess_direction(&f),
                };
                emit(codec_dny::describe(&f, dir));
            }
            Ok(Some(item @ (Item::Iccid(_) | Item::Link))) => {
                emit(codec_dny::describe_item(&item, Direction::Up));
            }
            Ok(Some(Item::Garbage(g))) => {
                if !was_error {
                    eprintln!(
                        "skipped {} bytes that are not a frame: {}",
                        g.len(),
                        codec_gn::hex::encode(&g)
                    );
                }
                ok = false;
            }
            Ok(Some(Item::Incomplete(b))) => {
                eprintln!(
                    "incomplete frame at the end of the input ({} bytes)",
                    b.len()
                );
                ok = false;
            }
            Err(e) => {
                eprintln!("{e}");
                ok = false;
                if !e.can_continue() {
                    return false;
                }
            }
        }
    }
}

fn gn(bytes: &[u8], direction: DirectionArg, emit: &mut dyn FnMut(Value)) -> bool {
    use codec_gn::{Decoded, Limits, Packet, StreamDecoder};
    let mut buf = BytesMut::from(bytes);
    let mut dec = StreamDecoder::new(Limits::default());
    let mut ok = true;
    let mut after_error = false;
    loop {
        let before = buf.len();
        let decoded = dec.decode(&mut buf);
        let was_error = std::mem::replace(&mut after_error, decoded.is_err());
        match decoded {
            Ok(Some(Decoded::Frame(frame))) => match Packet::from_frame(&frame) {
                Ok(packet) => {
                    let wanted = match direction {
                        DirectionArg::Auto => None,
                        DirectionArg::Up => Some("up"),
                        DirectionArg::Down => Some("down"),
                    };
                    if wanted.is_some_and(|w| w != packet.direction.as_str()) {
                        eprintln!(
                            "frame says direction {}, not {}",
                            packet.direction.as_str(),
                            wanted.unwrap_or("")
                        );
                        ok = false;
                    }
                    emit(codec_gn::describe(&packet));
                }
                Err(e) => {
                    eprintln!("{e}");
                    ok = false;
                }
            },
            Ok(Some(Decoded::Garbage(g))) => {
                if !was_error {
                    eprintln!(
                        "skipped {} bytes that are not a frame: {}",
                        g.len(),
                        codec_gn::hex::encode(&g)
                    );
                }
                ok = false;
            }
            Ok(None) => {
                if !buf.is_empty() {
                    eprintln!(
                        "incomplete frame at the end of the input ({} bytes)",
                        buf.len()
                    );
                    ok = false;
                }
                return ok;
            }
            Err(e) => {
                eprintln!("{e}");
                ok = false;
                // The decoder drops what it rejected; stop if it could not move on.
                if buf.len() == before {
                    return false;
                }
            }
        }
    }
}
