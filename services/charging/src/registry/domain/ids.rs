//! Device identities in their canonical form (docs/protocols.md "Identities"), parsed
//! once at the edge so the rest of the registry never compares raw strings.

use std::fmt;

use super::FieldError;

/// The wire protocol a device speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Dny,
    Gn,
}

impl Protocol {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dny" => Ok(Self::Dny),
            "gn" => Ok(Self::Gn),
            other => Err(FieldError::new(
                field,
                format!("{other:?} is not a protocol (dny or gn)"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dny => "dny",
            Self::Gn => "gn",
        }
    }
}

/// What a canonical id names: the three kinds of devices the registry holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceId {
    /// A DNY pile: physical id, 8 lowercase hex digits.
    Pile(String),
    /// A GN gateway: 14 lowercase hex digits.
    Gateway(String),
    /// A GN socket behind a gateway, numbered 1–250.
    Socket { gateway: String, socket: u8 },
}

/// Highest GN socket number (docs/protocols.md).
pub const MAX_SOCKET: u8 = 250;

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl DeviceId {
    /// Parses a canonical id of `protocol` (hex accepted in either case, stored lowercase).
    pub fn parse(field: &str, protocol: Protocol, s: &str) -> Result<Self, FieldError> {
        let s = s.trim().to_ascii_lowercase();
        match protocol {
            Protocol::Dny if is_hex(&s, 8) => Ok(Self::Pile(s)),
            Protocol::Dny => Err(FieldError::new(
                field,
                format!("{s:?} is not a DNY physical id (8 hex digits, e.g. 04ab373b)"),
            )),
            Protocol::Gn => {
                if is_hex(&s, 14) {
                    return Ok(Self::Gateway(s));
                }
                let bad = || {
                    FieldError::new(
                        field,
                        format!(
                            "{s:?} is neither a GN gateway id (14 hex digits) nor a socket \
                             id <gateway>-<1..{MAX_SOCKET}>"
                        ),
                    )
                };
                let (gw, n) = s.split_once('-').ok_or_else(bad)?;
                let socket: u8 = n.parse().map_err(|_| bad())?;
                if !is_hex(gw, 14) || socket == 0 || socket > MAX_SOCKET || n.starts_with('0') {
                    return Err(bad());
                }
                Ok(Self::Socket {
                    gateway: gw.to_owned(),
                    socket,
                })
            }
        }
    }

    pub fn protocol(&self) -> Protocol {
        match self {
            Self::Pile(_) => Protocol::Dny,
            Self::Gateway(_) | Self::Socket { .. } => Protocol::Gn,
        }
    }

    /// `pile`, `gateway` or `socket`, as stored in `devices.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Pile(_) => "pile",
            Self::Gateway(_) => "gateway",
            Self::Socket { .. } => "socket",
        }
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pile(s) | Self::Gateway(s) => f.write_str(s),
            Self::Socket { gateway, socket } => write!(f, "{gateway}-{socket}"),
        }
    }
}

/// A GN socket's radio MAC: 12 lowercase hex digits (separators `:`/`-` accepted).
pub fn parse_mac(field: &str, s: &str) -> Result<String, FieldError> {
    let m: String = s
        .trim()
        .chars()
        .filter(|c| *c != ':' && *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    if is_hex(&m, 12) {
        Ok(m)
    } else {
        Err(FieldError::new(
            field,
            format!("{s:?} is not a MAC address (12 hex digits)"),
        ))
    }
}

/// The UID printed on a GN socket's sticker: 1–32 ASCII letters and digits.
pub fn parse_uid(field: &str, s: &str) -> Result<String, FieldError> {
    let u = s.trim();
    if (1..=32).contains(&u.len()) && u.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(u.to_ascii_uppercase())
    } else {
        Err(FieldError::new(
            field,
            format!("{s:?} is not a sticker UID (1 to 32 letters and digits)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_ids_parse_by_protocol() {
        assert_eq!(
            DeviceId::parse("d", Protocol::Dny, "04AB373B").unwrap(),
            DeviceId::Pile("04ab373b".into())
        );
        assert_eq!(
            DeviceId::parse("d", Protocol::Gn, "82231214002700").unwrap(),
            DeviceId::Gateway("82231214002700".into())
        );
        let s = DeviceId::parse("d", Protocol::Gn, "82231214002700-3").unwrap();
        assert_eq!(s.to_string(), "82231214002700-3");
        assert_eq!(s.kind(), "socket");
    }

    #[test]
    fn bad_ids_name_the_field() {
        for (p, s) in [
            (Protocol::Dny, "04ab37"),
            (Protocol::Dny, "82231214002700"),
            (Protocol::Gn, "04ab373b"),
            (Protocol::Gn, "82231214002700-0"),
            (Protocol::Gn, "82231214002700-251"),
            (Protocol::Gn, "82231214002700-03"),
            (Protocol::Gn, "8223121400270x-3"),
        ] {
            let e = DeviceId::parse("device_id", p, s).unwrap_err();
            assert_eq!(e.field, "device_id", "{s}");
        }
    }

    #[test]
    fn mac_and_uid_normalise() {
        assert_eq!(
            parse_mac("mac", "AA:BB:CC:DD:EE:FF").unwrap(),
            "aabbccddeeff"
        );
        assert!(parse_mac("mac", "aabbcc").is_err());
        assert_eq!(parse_uid("uid", " ab12 ").unwrap(), "AB12");
        assert!(parse_uid("uid", "a b").is_err());
    }
}
