//! An e-invoice (电子发票) request: whom the invoice is made out to and where it is sent.
//! Chinese e-invoices are made out to a person (个人, a name) or to an organisation
//! (单位, its name and its taxpayer id, the 18-character unified social credit code, or
//! an older 15- or 20-character number).

use crate::error::BillingError;

/// Most bills one request may cover (the tax system's line limit is far above it; this
/// bounds the work of one request).
pub const MAX_BILLS: usize = 100;
const MAX_TITLE_CHARS: usize = 100;
const MAX_EMAIL_LEN: usize = 254;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TitleKind {
    Personal,
    Company,
}

impl TitleKind {
    pub fn parse(s: &str) -> Result<Self, BillingError> {
        match s {
            "personal" => Ok(TitleKind::Personal),
            "company" => Ok(TitleKind::Company),
            _ => Err(BillingError::invalid(
                "title_kind",
                "must be \"personal\" or \"company\"",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TitleKind::Personal => "personal",
            TitleKind::Company => "company",
        }
    }
}

/// What the invoice says and where it goes, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub kind: TitleKind,
    pub title: String,
    pub tax_id: Option<String>,
    pub email: String,
}

impl Recipient {
    pub fn parse(
        kind: &str,
        title: &str,
        tax_id: Option<&str>,
        email: &str,
    ) -> Result<Self, BillingError> {
        let kind = TitleKind::parse(kind)?;
        let title = title.trim();
        if title.is_empty() {
            return Err(BillingError::invalid("title", "must not be empty"));
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(BillingError::invalid(
                "title",
                format!("is longer than {MAX_TITLE_CHARS} characters"),
            ));
        }
        if title.chars().any(char::is_control) {
            return Err(BillingError::invalid(
                "title",
                "contains control characters",
            ));
        }
        let tax_id = tax_id.map(str::trim).filter(|t| !t.is_empty());
        let tax_id = match (kind, tax_id) {
            (TitleKind::Company, None) => {
                return Err(BillingError::invalid(
                    "tax_id",
                    "is required for a company invoice",
                ));
            }
            (_, Some(t)) => Some(tax_id_of(t)?),
            (TitleKind::Personal, None) => None,
        };
        Ok(Recipient {
            kind,
            title: title.to_owned(),
            tax_id,
            email: email_of(email)?,
        })
    }
}

fn tax_id_of(s: &str) -> Result<String, BillingError> {
    let t = s.to_ascii_uppercase();
    if !(15..=20).contains(&t.len()) || !t.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(BillingError::invalid(
            "tax_id",
            "must be 15 to 20 letters and digits (the unified social credit code has 18)",
        ));
    }
    Ok(t)
}

/// A plausible address, not a proof it exists: one `@`, something on both sides, a dot
/// in the domain, no spaces.
fn email_of(s: &str) -> Result<String, BillingError> {
    let e = s.trim();
    let bad = || BillingError::invalid("email", "is not an e-mail address");
    if e.len() > MAX_EMAIL_LEN || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = e.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
    {
        return Err(bad());
    }
    Ok(e.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_needs_no_tax_id() {
        let r = Recipient::parse("personal", " 张三 ", None, "zs@example.cn").unwrap();
        assert_eq!((r.title.as_str(), r.tax_id), ("张三", None));
    }

    #[test]
    fn company_needs_a_tax_id() {
        let e = Recipient::parse("company", "某某科技有限公司", None, "a@b.cn").unwrap_err();
        assert!(e.to_string().starts_with("tax_id:"), "{e}");
        let r = Recipient::parse(
            "company",
            "某某科技有限公司",
            Some("91310000mA1K3abc2x"),
            "a@b.cn",
        )
        .unwrap();
        assert_eq!(r.tax_id.as_deref(), Some("91310000MA1K3ABC2X"));
    }

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (("other", "x", None, "a@b.cn"), "title_kind:"),
            (("personal", " ", None, "a@b.cn"), "title:"),
            (("personal", "x", Some("12-34"), "a@b.cn"), "tax_id:"),
            (("personal", "x", None, "nobody"), "email:"),
            (("personal", "x", None, "a@b"), "email:"),
            (("personal", "x", None, "a b@c.cn"), "email:"),
            (("personal", "x", None, "@c.cn"), "email:"),
        ];
        for ((k, t, tax, mail), field) in cases {
            let e = Recipient::parse(k, t, tax, mail).unwrap_err().to_string();
            assert!(e.starts_with(field), "{e}");
        }
    }
}
