//! Users: staff and drivers, their contact identifiers, password policy and lockout.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::IdentityError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserKind {
    /// Operator staff: created by an administrator, given roles on nodes.
    Staff,
    /// A driver: signs up in the app, holds the driver role on the operator node.
    Driver,
}

impl UserKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            UserKind::Staff => "staff",
            UserKind::Driver => "driver",
        }
    }
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        match s {
            "staff" => Ok(UserKind::Staff),
            "driver" => Ok(UserKind::Driver),
            _ => Err(IdentityError::Invalid(
                "kind must be staff or driver".into(),
            )),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Active,
    Disabled,
}

impl UserStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
    }
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        match s {
            "active" => Ok(UserStatus::Active),
            "disabled" => Ok(UserStatus::Disabled),
            _ => Err(IdentityError::Invalid(
                "status must be active or disabled".into(),
            )),
        }
    }
}

/// A phone number: optional `+`, then 6–15 digits (spaces and dashes are dropped).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        let t: String = s
            .trim()
            .chars()
            .filter(|c| *c != ' ' && *c != '-')
            .collect();
        let digits = t.strip_prefix('+').unwrap_or(&t);
        if (6..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
            Ok(Self(t))
        } else {
            Err(IdentityError::Invalid(
                "phone must be 6-15 digits, optionally after '+'".into(),
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn masked(&self) -> String {
        runtime::mask::phone(&self.0)
    }
}

/// Never prints the number unmasked.
impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// An e-mail address, lower-cased: one `@`, a dot in the domain, ≤ 254 bytes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        let t = s.trim().to_lowercase();
        let ok = t.len() <= 254
            && t.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty()
                    && d.contains('.')
                    && !d.starts_with('.')
                    && !d.ends_with('.')
                    && !d.contains('@')
            })
            && !t.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(Self(t))
        } else {
            Err(IdentityError::Invalid(
                "email is not a valid address".into(),
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn masked(&self) -> String {
        runtime::mask::email(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// What a user logs in with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identifier {
    Phone(Phone),
    Email(Email),
}

impl Identifier {
    /// An e-mail if it contains `@`, else a phone number.
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        if s.contains('@') {
            Email::parse(s).map(Identifier::Email)
        } else {
            Phone::parse(s).map(Identifier::Phone)
        }
    }
    pub fn masked(&self) -> String {
        match self {
            Identifier::Phone(p) => p.masked(),
            Identifier::Email(e) => e.masked(),
        }
    }
}

/// A display name: 1–64 characters, no control characters.
pub fn display_name(s: &str) -> Result<String, IdentityError> {
    let t = s.trim();
    let n = t.chars().count();
    if n == 0 || n > 64 || t.chars().any(char::is_control) {
        return Err(IdentityError::Invalid(
            "display_name must be 1-64 characters without control characters".into(),
        ));
    }
    Ok(t.to_owned())
}

/// A new password: 8–128 characters with at least one letter and one digit.
pub fn check_password(pw: &str) -> Result<(), IdentityError> {
    let n = pw.chars().count();
    if n < 8 {
        return Err(IdentityError::WeakPassword(
            "password must have at least 8 characters",
        ));
    }
    if n > 128 {
        return Err(IdentityError::WeakPassword(
            "password must have at most 128 characters",
        ));
    }
    if !pw.chars().any(char::is_alphabetic) || !pw.chars().any(|c| c.is_ascii_digit()) {
        return Err(IdentityError::WeakPassword(
            "password must contain a letter and a digit",
        ));
    }
    Ok(())
}

/// Lockout after repeated failures.
#[derive(Clone, Copy, Debug)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub lockout: Duration,
}

/// What a failed password does to the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AfterFailure {
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
}

impl LockoutPolicy {
    pub fn is_locked(&self, locked_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        locked_until.is_some_and(|t| t > now)
    }

    /// The counter after one more failure; reaching the limit locks and restarts it.
    pub fn after_failure(&self, failed_logins: i32, now: DateTime<Utc>) -> AfterFailure {
        let failed = failed_logins.saturating_add(1);
        if failed >= self.max_failures as i32 {
            AfterFailure {
                failed_logins: 0,
                locked_until: Some(now + self.lockout),
            }
        } else {
            AfterFailure {
                failed_logins: failed,
                locked_until: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(
            matches!(Identifier::parse("A@Example.com"), Ok(Identifier::Email(e)) if e.as_str() == "a@example.com")
        );
        assert!(
            matches!(Identifier::parse("+86 138-1234-5678"), Ok(Identifier::Phone(p)) if p.as_str() == "+8613812345678")
        );
        for bad in ["", "abc", "a@b", "@b.com", "123", "1' OR '1'='1"] {
            assert!(Identifier::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            format!("{:?}", Phone::parse("13812345678").unwrap()),
            "138****5678"
        );
    }

    #[test]
    fn passwords() {
        assert!(check_password("hunter22").is_ok());
        assert!(check_password("short1").is_err());
        assert!(check_password("lettersonly").is_err());
        assert!(check_password("12345678").is_err());
        assert!(check_password(&"a1".repeat(65)).is_err());
    }

    #[test]
    fn lockout_after_max_failures() {
        let p = LockoutPolicy {
            max_failures: 3,
            lockout: Duration::seconds(60),
        };
        let now = Utc::now();
        assert_eq!(p.after_failure(0, now).failed_logins, 1);
        let third = p.after_failure(2, now);
        assert_eq!(third.locked_until, Some(now + Duration::seconds(60)));
        assert!(p.is_locked(third.locked_until, now));
        assert!(!p.is_locked(third.locked_until, now + Duration::seconds(61)));
    }
}
