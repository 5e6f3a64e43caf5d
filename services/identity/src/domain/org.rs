//! The organization tree: operator (the tenant) → regions (any depth) → sites.

use std::fmt;
use std::str::FromStr;

use runtime::auth::OrgPath;
use serde::{Deserialize, Serialize};

use crate::error::IdentityError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgKind {
    Operator,
    Region,
    Site,
}

impl OrgKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            OrgKind::Operator => "operator",
            OrgKind::Region => "region",
            OrgKind::Site => "site",
        }
    }

    /// Regions and sites hang under the operator or a region; sites are leaves; an
    /// operator is always a root.
    pub fn may_contain(&self, child: OrgKind) -> bool {
        matches!(
            (self, child),
            (
                OrgKind::Operator | OrgKind::Region,
                OrgKind::Region | OrgKind::Site
            )
        )
    }
}

impl fmt::Display for OrgKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrgKind {
    type Err = IdentityError;
    fn from_str(s: &str) -> Result<Self, IdentityError> {
        match s {
            "operator" => Ok(OrgKind::Operator),
            "region" => Ok(OrgKind::Region),
            "site" => Ok(OrgKind::Site),
            _ => Err(IdentityError::Invalid(
                "kind must be operator, region or site".into(),
            )),
        }
    }
}

/// A node's display name: 1–100 characters after trimming, no control characters.
pub fn node_name(s: &str) -> Result<String, IdentityError> {
    let t = s.trim();
    let n = t.chars().count();
    if n == 0 || n > 100 || t.chars().any(char::is_control) {
        return Err(IdentityError::Invalid(
            "name must be 1-100 characters without control characters".into(),
        ));
    }
    Ok(t.to_owned())
}

/// Checks creating a `child` under `parent` (kind and path of the parent).
pub fn check_create(
    parent: OrgKind,
    parent_disabled: bool,
    child: OrgKind,
) -> Result<(), IdentityError> {
    if parent_disabled {
        return Err(IdentityError::NodeDisabled);
    }
    if !parent.may_contain(child) {
        return Err(IdentityError::KindNotAllowed(
            "a region or site goes under the operator or a region",
        ));
    }
    Ok(())
}

/// Checks moving the node at `node` (of kind `kind`) under `new_parent`.
pub fn check_move(
    node: &OrgPath,
    kind: OrgKind,
    new_parent: &OrgPath,
    new_parent_kind: OrgKind,
) -> Result<(), IdentityError> {
    if kind == OrgKind::Operator {
        return Err(IdentityError::InvalidMove("the operator node cannot move"));
    }
    if node.tenant() != new_parent.tenant() {
        return Err(IdentityError::InvalidMove(
            "a node cannot move to another operator",
        ));
    }
    if node.contains(new_parent) {
        return Err(IdentityError::InvalidMove(
            "a node cannot move under itself or its descendants",
        ));
    }
    if !new_parent_kind.may_contain(kind) {
        return Err(IdentityError::KindNotAllowed(
            "a region or site goes under the operator or a region",
        ));
    }
    Ok(())
}

/// The path of `node` after moving it under `new_parent`.
pub fn moved_path(node: &OrgPath, new_parent: &OrgPath) -> Result<OrgPath, IdentityError> {
    new_parent
        .child(node.node())
        .map_err(|_| IdentityError::InvalidMove("resulting path too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> OrgPath {
        OrgPath::parse(s).unwrap()
    }

    #[test]
    fn kinds_nest_operator_region_site() {
        assert!(check_create(OrgKind::Operator, false, OrgKind::Region).is_ok());
        assert!(check_create(OrgKind::Region, false, OrgKind::Region).is_ok());
        assert!(check_create(OrgKind::Region, false, OrgKind::Site).is_ok());
        assert!(check_create(OrgKind::Site, false, OrgKind::Site).is_err());
        assert!(check_create(OrgKind::Region, false, OrgKind::Operator).is_err());
        assert!(matches!(
            check_create(OrgKind::Region, true, OrgKind::Site),
            Err(IdentityError::NodeDisabled)
        ));
    }

    #[test]
    fn moves() {
        let r1 = p("/t/r1/");
        assert!(check_move(&r1, OrgKind::Region, &p("/t/r2/"), OrgKind::Region).is_ok());
        assert!(check_move(&r1, OrgKind::Region, &p("/t/r1/r3/"), OrgKind::Region).is_err());
        assert!(check_move(&r1, OrgKind::Region, &r1, OrgKind::Region).is_err());
        assert!(check_move(&r1, OrgKind::Region, &p("/u/"), OrgKind::Operator).is_err());
        assert!(check_move(&r1, OrgKind::Region, &p("/t/s1/"), OrgKind::Site).is_err());
        assert!(check_move(&p("/t/"), OrgKind::Operator, &p("/t/r2/"), OrgKind::Region).is_err());
        assert_eq!(
            moved_path(&p("/t/r1/s1/"), &p("/t/r2/")).unwrap(),
            p("/t/r2/s1/")
        );
    }

    #[test]
    fn names() {
        assert_eq!(node_name("  North  ").unwrap(), "North");
        assert!(node_name("   ").is_err());
        assert!(node_name("a\u{0}b").is_err());
        assert!(node_name(&"x".repeat(101)).is_err());
    }
}
