//! Subject, stream and consumer names. Every name goes through a [`Namespace`] so one NATS
//! can host several installations (or parallel tests) without them seeing each other.

use std::fmt;

use crate::BusError;

/// One subject token: non-empty, no `.`, `*`, `>` or whitespace, at most 128 bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Token(String);

impl Token {
    pub fn new(token: impl Into<String>) -> Result<Self, BusError> {
        let token = token.into();
        let reason = if token.is_empty() {
            Some("empty")
        } else if token.len() > 128 {
            Some("longer than 128 bytes")
        } else if token
            .chars()
            .any(|c| matches!(c, '.' | '*' | '>') || c.is_whitespace() || c.is_control())
        {
            Some("contains '.', '*', '>' or whitespace")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(BusError::InvalidToken { token, reason }),
            None => Ok(Self(token)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Prefix for everything this installation names on NATS. The empty namespace (the
/// default) gives the names of DESIGN §4 unchanged: `pylon.charging.…`, `PYLON_CHARGING`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Namespace(Option<Token>);

impl Namespace {
    /// The empty namespace: production names.
    pub fn root() -> Self {
        Self(None)
    }

    /// A named namespace, e.g. a test's unique id. Must be a valid subject token made of
    /// ASCII letters, digits, `-` and `_` (it also becomes part of stream names).
    pub fn new(name: &str) -> Result<Self, BusError> {
        if name.is_empty() {
            return Ok(Self::root());
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(BusError::InvalidToken {
                token: name.to_owned(),
                reason: "a namespace may hold only ASCII letters, digits, '-' and '_'",
            });
        }
        Ok(Self(Some(Token::new(name)?)))
    }

    /// A subject in this namespace: `pylon.<parts…>`, prefixed by `<ns>.` when named.
    pub fn subject(&self, parts: &[&str]) -> String {
        // Sized up front: built once per published event (growing it took a few
        // reallocations per subject).
        let ns = self.0.as_ref().map_or(0, |n| n.as_str().len() + 1);
        let len = ns + "pylon".len() + parts.iter().map(|p| p.len() + 1).sum::<usize>();
        let mut s = String::with_capacity(len);
        if let Some(ns) = &self.0 {
            s.push_str(ns.as_str());
            s.push('.');
        }
        s.push_str("pylon");
        for p in parts {
            s.push('.');
            s.push_str(p);
        }
        s
    }

    /// A stream, consumer or bucket name in this namespace: `<NS>_<name>` when named.
    pub fn name(&self, name: &str) -> String {
        match &self.0 {
            Some(ns) => format!("{}_{}", ns.as_str().to_ascii_uppercase(), name),
            None => name.to_owned(),
        }
    }
}

/// The subject of a service event: `pylon.<service>.<tenant>.<aggregate>.<event>`.
pub fn event_subject(
    ns: &Namespace,
    service: &Token,
    tenant: &Token,
    aggregate: &Token,
    event: &Token,
) -> String {
    ns.subject(&[
        service.as_str(),
        tenant.as_str(),
        aggregate.as_str(),
        event.as_str(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_reject_wildcards_dots_and_blanks() {
        for bad in ["", "a.b", "*", ">", "a b", "x\n"] {
            assert!(Token::new(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(Token::new("tenant-1").unwrap().as_str(), "tenant-1");
    }

    #[test]
    fn root_namespace_gives_design_names() {
        let ns = Namespace::root();
        assert_eq!(ns.subject(&["device", ">"]), "pylon.device.>");
        assert_eq!(ns.name("PYLON_DEVICE"), "PYLON_DEVICE");
    }

    #[test]
    fn named_namespace_prefixes_everything() {
        let ns = Namespace::new("t42").unwrap();
        assert_eq!(ns.subject(&["device", ">"]), "t42.pylon.device.>");
        assert_eq!(ns.name("PYLON_DEVICE"), "T42_PYLON_DEVICE");
        assert!(Namespace::new("a.b").is_err());
    }
}
