//! Typed identifiers. Ids are UUIDs (v7 for new rows); a tenant's id is also the id of
//! its operator node.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub fn from_uuid(u: Uuid) -> Self {
                Self(u)
            }
            pub fn uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, uuid::Error> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// An operator (tenant).
    TenantId
);
uuid_id!(
    /// A node of the organization tree.
    NodeId
);
uuid_id!(
    /// A user (staff or driver).
    UserId
);
uuid_id!(
    /// A custom role.
    RoleId
);
uuid_id!(
    /// One role granted to one user on one node.
    GrantId
);
uuid_id!(
    /// An audit log entry.
    AuditId
);

impl TenantId {
    /// The operator node of this tenant has the tenant's id.
    pub fn root_node(&self) -> NodeId {
        NodeId::from_uuid(self.0)
    }
}

/// A tenant's short code, used at login: 2–32 of `a-z`, `0-9`, `-`, starting with a letter.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantCode(String);

impl TenantCode {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let s = s.trim().to_ascii_lowercase();
        let ok = (2..=32).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(Self(s))
        } else {
            Err("tenant code must be 2-32 of a-z, 0-9 and '-', starting with a letter")
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TenantCode {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, &'static str> {
        Self::parse(&s)
    }
}

impl From<TenantCode> for String {
    fn from(c: TenantCode) -> String {
        c.0
    }
}

/// A third-party app's public id: `app_` + 24 hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AppId(String);

impl AppId {
    pub fn from_random(bytes: [u8; 12]) -> Self {
        let mut s = String::from("app_");
        for b in bytes {
            s.push_str(&format!("{b:02x}"));
        }
        Self(s)
    }
    pub fn parse(s: &str) -> Option<Self> {
        runtime::auth::apps::valid_app_id(s).then(|| Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_codes() {
        assert_eq!(TenantCode::parse(" Acme-1 ").unwrap().as_str(), "acme-1");
        for bad in ["a", "1abc", "ab_c", "ab c", &"a".repeat(33)] {
            assert!(TenantCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn app_ids() {
        let id = AppId::from_random([0xab; 12]);
        assert_eq!(id.as_str(), "app_abababababababababababab");
        assert!(AppId::parse(id.as_str()).is_some());
        assert!(AppId::parse("app_x").is_none());
        assert!(AppId::parse("nope_abababababab").is_none());
    }
}
