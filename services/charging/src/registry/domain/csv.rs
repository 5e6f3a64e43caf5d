//! The device CSV (import and export). Columns, by header name in any order:
//! `device_id,protocol,model,site_id,uid,mac,status,port_count` — `device_id` and
//! `protocol` required, the others may be empty or missing. Row numbers count the header
//! as row 1, like a spreadsheet, so an error points at the line an operator sees.

use super::FieldError;

/// The columns, in export order.
pub const COLUMNS: [&str; 8] = [
    "device_id",
    "protocol",
    "model",
    "site_id",
    "uid",
    "mac",
    "status",
    "port_count",
];

/// Most data rows one import takes (bigger fleets import in parts).
pub const MAX_ROWS: usize = 5000;

/// One data row by column name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    /// Spreadsheet row number (header = 1).
    pub number: usize,
    pub device_id: String,
    pub protocol: String,
    pub model: String,
    pub site_id: String,
    pub uid: String,
    pub mac: String,
    pub status: String,
    pub port_count: String,
}

/// Why the file as a whole was refused (no row was imported).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("csv: the file is empty")]
    Empty,
    #[error("csv: unknown column {0:?} (known: {cols})", cols = COLUMNS.join(", "))]
    UnknownColumn(String),
    #[error("csv: column {0:?} is missing")]
    MissingColumn(&'static str),
    #[error("csv: more than {MAX_ROWS} rows; import in parts")]
    TooManyRows,
}

/// A row that could not be read: its number and why.
pub type RowError = (usize, FieldError);

/// Splits `text` into rows; a row whose fields cannot be read becomes a row error and
/// the others go on.
pub fn parse(text: &str) -> Result<(Vec<Row>, Vec<RowError>), FileError> {
    let mut records = records(text.trim_start_matches('\u{feff}')).into_iter();
    let header = records.next().ok_or(FileError::Empty)?;
    let mut index = Vec::with_capacity(header.len());
    for h in &header {
        let h = h.trim().to_ascii_lowercase();
        let pos = COLUMNS
            .iter()
            .position(|c| *c == h)
            .ok_or(FileError::UnknownColumn(h))?;
        index.push(pos);
    }
    for required in ["device_id", "protocol"] {
        if !header
            .iter()
            .any(|h| h.trim().eq_ignore_ascii_case(required))
        {
            return Err(FileError::MissingColumn(required));
        }
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, fields) in records.enumerate() {
        let number = i + 2;
        if rows.len() + errors.len() >= MAX_ROWS {
            return Err(FileError::TooManyRows);
        }
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if fields.len() != index.len() {
            errors.push((
                number,
                FieldError::new(
                    "row",
                    format!("has {} fields, the header {}", fields.len(), index.len()),
                ),
            ));
            continue;
        }
        let mut row = Row {
            number,
            ..Default::default()
        };
        for (f, &col) in fields.into_iter().zip(&index) {
            let slot = match col {
                0 => &mut row.device_id,
                1 => &mut row.protocol,
                2 => &mut row.model,
                3 => &mut row.site_id,
                4 => &mut row.uid,
                5 => &mut row.mac,
                6 => &mut row.status,
                _ => &mut row.port_count,
            };
            *slot = f.trim().to_owned();
        }
        rows.push(row);
    }
    Ok((rows, errors))
}

/// RFC 4180 records: `"` quotes fields (doubled inside), CRLF or LF ends a record.
fn records(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                out.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        out.push(record);
    }
    out
}

/// One CSV line (with its newline). Fields starting with `=`, `+`, `-` or `@` are
/// prefixed with `'` so a spreadsheet does not run them as formulas.
pub fn line(fields: &[&str]) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let f = if f.starts_with(['=', '+', '-', '@']) {
            format!("'{f}")
        } else {
            (*f).to_owned()
        };
        if f.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&f);
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_by_header_with_quotes_and_crlf() {
        let text =
            "protocol,device_id,mac\r\ngn,\"82231214002700-1\",\"aa,bb\"\r\n\r\ndny,04ab373b,\n";
        let (rows, errors) = parse(text).unwrap();
        assert!(errors.is_empty());
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].number, 2);
        assert_eq!(rows[0].device_id, "82231214002700-1");
        assert_eq!(rows[0].mac, "aa,bb");
        assert_eq!(rows[1].number, 4);
        assert_eq!(rows[1].protocol, "dny");
    }

    #[test]
    fn a_short_row_is_a_row_error_and_the_rest_goes_on() {
        let (rows, errors) = parse("device_id,protocol\n04ab373b\n04ab373c,dny\n").unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(errors[0].0, 2);
        assert_eq!(errors[0].1.field, "row");
    }

    #[test]
    fn the_header_is_checked() {
        assert_eq!(parse(""), Err(FileError::Empty));
        assert_eq!(
            parse("device_id,colour\n"),
            Err(FileError::UnknownColumn("colour".into()))
        );
        assert_eq!(
            parse("device_id\n"),
            Err(FileError::MissingColumn("protocol"))
        );
    }

    #[test]
    fn lines_quote_and_defuse_formulas() {
        assert_eq!(line(&["a", "b,c", "=1+1"]), "a,\"b,c\",'=1+1\n");
        let (rows, _) = parse(&format!(
            "{}{}",
            line(&COLUMNS),
            line(&["x", "gn", "", "", "", "", "", ""])
        ))
        .unwrap();
        assert_eq!(rows[0].device_id, "x");
    }
}
