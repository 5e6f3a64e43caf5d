//! The access token's claims: the wire format identity signs and every service reads.

use serde::{Deserialize, Serialize};

use super::principal::{Grant, Principal, PrincipalKind};

/// Claims of a Pylon access token (a JWT signed with EdDSA by identity).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    /// The tenant (operator) id.
    pub tid: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// Token id (UUIDv7), for logs and audits.
    pub jti: String,
    /// Role names held, for display; decisions use `grants`.
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub grants: Vec<Grant>,
    /// Platform administrator: acts across tenants.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pa: bool,
}

impl AccessClaims {
    pub fn into_principal(self) -> Principal {
        Principal {
            subject: self.sub,
            kind: PrincipalKind::User,
            tenant: self.tid,
            roles: self.roles,
            grants: self.grants,
            platform_admin: self.pa,
        }
    }
}
