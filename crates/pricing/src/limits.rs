//! Hard limits on tariffs and session facts. They bound the work of one rating and keep
//! every intermediate product well inside `i128` (the largest is about
//! energy × price = 10¹² Wh × 10⁹ milli-fen/kWh = 10²¹ micro-fen) and every amount
//! inside `i64` fen.

/// Time-of-use periods per tariff (half-hour windows all day would be 48).
pub const MAX_TOU_PERIODS: usize = 48;
/// Steps of a time ladder.
pub const MAX_LADDER_STEPS: usize = 16;
/// Power brackets (GN 0x17 carries at most 5).
pub const MAX_BRACKETS: usize = 16;
/// Any price: 10 000 yuan per unit.
pub const MAX_PRICE_MILLIFEN: i64 = 1_000_000_000;
/// Minimum and maximum charge: 10 000 000 000 fen (10⁸ yuan).
pub const MAX_FEN: i64 = 10_000_000_000;
/// Any minute count in a tariff (free minutes, grace, ladder bounds, price units): 31 days.
pub const MAX_MINUTES: u32 = 31 * 24 * 60;
/// Longest session (charging, and separately idle time): 31 days.
pub const MAX_SESSION_SECONDS: i64 = 31 * 24 * 3600;
/// Meter samples per session (one a minute for a 31-day session fits comfortably).
pub const MAX_SAMPLES: usize = 100_000;
/// Largest meter reading or total energy: 10¹² Wh.
pub const MAX_WH: i64 = 1_000_000_000_000;
