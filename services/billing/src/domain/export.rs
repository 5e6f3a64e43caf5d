//! The e-invoice data export: one row per request, amounts in yuan with two decimals
//! (the only place billing shows yuan), as CSV for spreadsheets or as JSON.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::money::yuan;

/// One invoice request as finance exports it.
#[derive(Debug, Clone, Serialize)]
pub struct ExportRow {
    pub request_id: String,
    pub requested_at: DateTime<Utc>,
    pub requested_by: String,
    pub title_kind: String,
    pub title: String,
    pub tax_id: String,
    pub email: String,
    pub amount_yuan: String,
    pub bill_count: usize,
    pub order_refs: Vec<String>,
}

/// What the export computes from a stored request.
pub struct ExportInput {
    pub request_id: String,
    pub requested_at: DateTime<Utc>,
    pub requested_by: String,
    pub title_kind: String,
    pub title: String,
    pub tax_id: Option<String>,
    pub email: String,
    pub total_fen: i64,
    pub order_refs: Vec<String>,
}

impl From<ExportInput> for ExportRow {
    fn from(i: ExportInput) -> Self {
        ExportRow {
            request_id: i.request_id,
            requested_at: i.requested_at,
            requested_by: i.requested_by,
            title_kind: i.title_kind,
            title: i.title,
            tax_id: i.tax_id.unwrap_or_default(),
            email: i.email,
            amount_yuan: yuan(i.total_fen),
            bill_count: i.order_refs.len(),
            order_refs: i.order_refs,
        }
    }
}

const HEADER: [&str; 10] = [
    "request_id",
    "requested_at",
    "requested_by",
    "title_kind",
    "title",
    "tax_id",
    "email",
    "amount_yuan",
    "bill_count",
    "order_refs",
];

/// RFC 4180 CSV with a UTF-8 byte-order mark: Excel and WPS, which finance teams open
/// these with, read BOM-less UTF-8 as GBK and garble Chinese titles.
pub fn csv(rows: &[ExportRow]) -> String {
    let mut out = String::from("\u{feff}");
    line(&mut out, HEADER.iter().map(|s| (*s).to_owned()));
    for r in rows {
        line(
            &mut out,
            [
                r.request_id.clone(),
                r.requested_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                r.requested_by.clone(),
                r.title_kind.clone(),
                r.title.clone(),
                r.tax_id.clone(),
                r.email.clone(),
                r.amount_yuan.clone(),
                r.bill_count.to_string(),
                r.order_refs.join(";"),
            ],
        );
    }
    out
}

fn line(out: &mut String, fields: impl IntoIterator<Item = String>) {
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&field(&f));
    }
    out.push_str("\r\n");
}

/// Quotes when needed, and defuses spreadsheet formulas: titles and e-mails come from
/// drivers, and a cell starting with `=`, `+`, `-` or `@` would run as a formula in the
/// finance clerk's spreadsheet (CSV injection). Such cells get a leading `'`.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(title: &str, fen: i64) -> ExportRow {
        ExportInput {
            request_id: "r1".into(),
            requested_at: DateTime::from_timestamp(1_767_196_800, 0).unwrap(),
            requested_by: "u1".into(),
            title_kind: "company".into(),
            title: title.into(),
            tax_id: Some("91310000MA1K3ABC2X".into()),
            email: "a@b.cn".into(),
            total_fen: fen,
            order_refs: vec!["o1".into(), "o2".into()],
        }
        .into()
    }

    #[test]
    fn csv_has_bom_header_and_yuan() {
        let out = csv(&[row("某某公司", 1234)]);
        assert!(out.starts_with("\u{feff}request_id,requested_at,"));
        let lines: Vec<&str> = out.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(
            lines[1],
            "r1,2025-12-31T16:00:00Z,u1,company,某某公司,91310000MA1K3ABC2X,a@b.cn,12.34,2,o1;o2"
        );
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let out = csv(&[row("A, \"B\"", 5), row("=HYPERLINK(\"x\")", 5)]);
        assert!(out.contains(",\"A, \"\"B\"\"\","), "{out}");
        assert!(out.contains(",\"'=HYPERLINK(\"\"x\"\")\","), "{out}");
        assert!(out.contains(",0.05,"), "{out}");
    }
}
