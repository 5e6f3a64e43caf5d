//! Order history: the operators' list and CSV export, the drivers' own list and
//! receipts (docs/charging.md, "History"). `filter` and `csv` are pure; `list`,
//! `export` and `receipt` are the use cases; the SQL is in `store::history`.

pub mod csv;
pub mod export;
pub mod filter;
pub mod list;
pub mod receipt;
