//! Identities: gateway, socket, port, and the socket-side identifiers (MAC, card,
//! business number).
//!
//! # Canonical string forms
//!
//! | Identity | Form | Example |
//! |---|---|---|
//! | [`GatewayId`] | 14 lowercase hex digits (the 7 wire bytes) | `82241218000382` |
//! | [`SocketRef`] | `<gateway>-<socket no>`, socket no decimal 1–250, no leading zero | `82241218000382-1` |
//! | [`PortRef`] | `<gateway>-<socket no>-<A\|B>` | `82241218000382-1-A` |
//! | [`Mac`] | 12 lowercase hex digits | `854121800889` |
//! | [`CardNo`] | 12 lowercase hex digits | `000000298352` |
//!
//! Parsing accepts exactly these forms (no uppercase hex, no leading zeros), so
//! `parse(display(x)) == x` and `display(parse(s)) == s` for every accepted `s`.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::hex;

/// Why an identity string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {input:?}: expected {expected}")]
pub struct ParseIdError {
    what: &'static str,
    input: String,
    expected: &'static str,
}

impl ParseIdError {
    fn new(what: &'static str, input: &str, expected: &'static str) -> Self {
        Self {
            what,
            input: input.chars().take(64).collect(),
            expected,
        }
    }
}

macro_rules! hex_id {
    ($(#[$meta:meta])* $name:ident, $n:literal, $what:literal, $expected:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name([u8; $n]);

        impl $name {
            /// Wraps the wire bytes.
            pub const fn from_bytes(bytes: [u8; $n]) -> Self {
                Self(bytes)
            }

            /// The wire bytes.
            pub const fn as_bytes(&self) -> &[u8; $n] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(&self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                hex::decode_array::<$n>(s).map(Self).ok_or_else(|| {
                    ParseIdError::new($what, s, $expected)
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}

hex_id!(
    /// A GN gateway id: 7 opaque wire bytes (in practice BCD-looking digits).
    GatewayId,
    7,
    "gateway id",
    "14 lowercase hex digits"
);
hex_id!(
    /// A socket's radio MAC (6 bytes, printed on the back of the socket).
    Mac,
    6,
    "mac",
    "12 lowercase hex digits"
);
hex_id!(
    /// A card number as the socket reads it (6 bytes).
    CardNo,
    6,
    "card number",
    "12 lowercase hex digits"
);

/// A socket number as it appears on the wire (any byte). The platform assigns
/// 1–250; 254 addresses every socket of a gateway in `0x0015/0x1B`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
#[serde(transparent)]
pub struct SocketNo(pub u8);

impl SocketNo {
    /// The "every socket of the gateway" address of `0x0015/0x1B`.
    pub const BROADCAST: Self = Self(254);
}

/// A port number as it appears on the wire: 0 = A, 1 = B; `0x1013` sends 0x7F.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
#[serde(transparent)]
pub struct PortNo(pub u8);

impl PortNo {
    /// The port letter, if this is port A (0) or B (1).
    pub const fn port(self) -> Option<Port> {
        match self.0 {
            0 => Some(Port::A),
            1 => Some(Port::B),
            _ => None,
        }
    }
}

/// A business (order) number, allocated by the socket when charging starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
#[serde(transparent)]
pub struct BusinessNo(pub u16);

/// One of a socket's two ports (插孔).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Port {
    /// Port A, wire value 0.
    A,
    /// Port B, wire value 1.
    B,
}

impl Port {
    /// The wire value.
    pub const fn no(self) -> PortNo {
        match self {
            Self::A => PortNo(0),
            Self::B => PortNo(1),
        }
    }

    const fn letter(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
        }
    }
}

/// A socket: gateway plus platform socket number (1–250).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketRef {
    gateway: GatewayId,
    socket: SocketNo,
}

impl SocketRef {
    /// The platform's socket numbers.
    pub const RANGE: std::ops::RangeInclusive<u8> = 1..=250;

    /// A socket reference; `None` unless the number is in 1–250.
    pub fn new(gateway: GatewayId, socket: SocketNo) -> Option<Self> {
        Self::RANGE
            .contains(&socket.0)
            .then_some(Self { gateway, socket })
    }

    /// The gateway.
    pub const fn gateway(&self) -> GatewayId {
        self.gateway
    }

    /// The socket number.
    pub const fn socket(&self) -> SocketNo {
        self.socket
    }

    /// One of this socket's ports.
    pub const fn port(self, port: Port) -> PortRef {
        PortRef { socket: self, port }
    }
}

impl fmt::Display for SocketRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.gateway, self.socket.0)
    }
}

impl FromStr for SocketRef {
    type Err = ParseIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const EXPECTED: &str = "<14 lowercase hex digits>-<1..=250>";
        let err = || ParseIdError::new("socket", s, EXPECTED);
        let (gw, no) = s.split_once('-').ok_or_else(err)?;
        let gateway = gw.parse::<GatewayId>().map_err(|_| err())?;
        let canonical =
            !no.is_empty() && !no.starts_with('0') && no.bytes().all(|b| b.is_ascii_digit());
        if !canonical {
            return Err(err());
        }
        let n = no.parse::<u8>().map_err(|_| err())?;
        Self::new(gateway, SocketNo(n)).ok_or_else(err)
    }
}

/// A port: socket plus port letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRef {
    socket: SocketRef,
    port: Port,
}

impl PortRef {
    /// The socket.
    pub const fn socket(&self) -> SocketRef {
        self.socket
    }

    /// The port letter.
    pub const fn port(&self) -> Port {
        self.port
    }
}

impl fmt::Display for PortRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.socket, self.port.letter())
    }
}

impl FromStr for PortRef {
    type Err = ParseIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseIdError::new("port", s, "<gateway>-<socket>-A or -B");
        let (socket, letter) = s.rsplit_once('-').ok_or_else(err)?;
        let port = match letter {
            "A" => Port::A,
            "B" => Port::B,
            _ => return Err(err()),
        };
        let socket = socket.parse::<SocketRef>().map_err(|_| err())?;
        Ok(Self { socket, port })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn gateway_id_canonical_form() {
        let id: GatewayId = "82241218000382".parse().unwrap();
        assert_eq!(id.as_bytes(), &[0x82, 0x24, 0x12, 0x18, 0x00, 0x03, 0x82]);
        assert_eq!(id.to_string(), "82241218000382");
        assert!("8224121800038".parse::<GatewayId>().is_err());
        assert!("8224121800038A".parse::<GatewayId>().is_err());
    }

    #[test]
    fn socket_and_port_forms() {
        let p: PortRef = "82241218000382-1-A".parse().unwrap();
        assert_eq!(p.port(), Port::A);
        assert_eq!(p.socket().socket(), SocketNo(1));
        assert_eq!(p.to_string(), "82241218000382-1-A");
        for bad in [
            "82241218000382-01",
            "82241218000382-0",
            "82241218000382-251",
            "82241218000382-",
            "82241218000382-+1",
            "82241218000382",
        ] {
            assert!(bad.parse::<SocketRef>().is_err(), "{bad}");
        }
        for bad in [
            "82241218000382-1-a",
            "82241218000382-1-C",
            "82241218000382-1",
        ] {
            assert!(bad.parse::<PortRef>().is_err(), "{bad}");
        }
    }
}
