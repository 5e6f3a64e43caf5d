//! Who is calling and what they may do: the principal a verified token or signature
//! yields, organization paths, permission patterns, and [`authorize`].
//!
//! Scope model (docs/security.md): every organization node has a path of node ids from
//! its operator (the tenant) down, `/<tenant>/<region>/…/<site>/`. A grant is a role on a
//! node; it carries its node's path and the role's permissions. A resource carries the
//! path of the node it belongs to. A grant covers a resource when the grant's path is a
//! prefix of the resource's path, so no call to identity is needed per request.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A node's path in the organization tree: `/<tenant>/<child>/…/`, segments of ASCII
/// letters, digits and `-` (node ids are UUIDs). The first segment is the tenant.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(try_from = "String", into = "String")]
pub struct OrgPath(String);

/// Longest path accepted (about ten levels of UUIDs).
const MAX_PATH_LEN: usize = 512;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid organization path {0:?}")]
pub struct InvalidPath(pub String);

impl OrgPath {
    pub fn parse(s: &str) -> Result<Self, InvalidPath> {
        let bad = || InvalidPath(s.chars().take(64).collect());
        if s.len() < 3 || s.len() > MAX_PATH_LEN || !s.starts_with('/') || !s.ends_with('/') {
            return Err(bad());
        }
        let inner = &s[1..s.len() - 1];
        if inner.split('/').any(|seg| {
            seg.is_empty() || !seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        }) {
            return Err(bad());
        }
        Ok(Self(s.to_owned()))
    }

    /// The path of a tenant's root node (the operator), whose id is the tenant id.
    pub fn root(tenant: &str) -> Result<Self, InvalidPath> {
        Self::parse(&format!("/{tenant}/"))
    }

    /// The path of a child node `id` under this one.
    pub fn child(&self, id: &str) -> Result<Self, InvalidPath> {
        Self::parse(&format!("{}{id}/", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The tenant: the first segment.
    pub fn tenant(&self) -> &str {
        self.0[1..].split('/').next().unwrap_or_default()
    }

    /// The id of the node itself: the last segment.
    pub fn node(&self) -> &str {
        self.0[..self.0.len() - 1]
            .rsplit('/')
            .next()
            .unwrap_or_default()
    }

    /// Number of segments (1 for an operator).
    pub fn depth(&self) -> usize {
        self.0.matches('/').count() - 1
    }

    /// Whether `other` is this node or below it.
    pub fn contains(&self, other: &OrgPath) -> bool {
        other.0.starts_with(&self.0)
    }
}

impl fmt::Display for OrgPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for OrgPath {
    type Error = InvalidPath;
    fn try_from(s: String) -> Result<Self, InvalidPath> {
        Self::parse(&s)
    }
}

impl From<OrgPath> for String {
    fn from(p: OrgPath) -> String {
        p.0
    }
}

/// Whether permission pattern `pattern` (`*`, `resource:*` or `resource:action`) grants
/// `permission` (`resource:action`).
pub fn permission_matches(pattern: &str, permission: &str) -> bool {
    if pattern == "*" || pattern == permission {
        return true;
    }
    match (pattern.split_once(':'), permission.split_once(':')) {
        (Some((pr, "*")), Some((r, _))) => pr == r,
        _ => false,
    }
}

/// One role held on one node, with the role's permissions resolved when the token was
/// issued (custom roles included), so verifiers need no role table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: String,
    pub path: OrgPath,
    #[serde(rename = "perms")]
    pub permissions: Vec<String>,
}

impl Grant {
    pub fn allows(&self, permission: &str) -> bool {
        self.permissions
            .iter()
            .any(|p| permission_matches(p, permission))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    /// A person: operator staff or a driver, authenticated by an access token.
    User,
    /// A third-party application, authenticated by a request signature.
    App,
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// User id or app id.
    pub subject: String,
    pub kind: PrincipalKind,
    /// The tenant (operator) id the caller belongs to.
    pub tenant: String,
    pub roles: Vec<String>,
    pub grants: Vec<Grant>,
    /// Platform administrators act in every tenant.
    pub platform_admin: bool,
}

/// Why [`authorize`] said no.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The resource belongs to another tenant: callers answer 404, so ids of other
    /// tenants cannot be probed.
    #[error("resource of another tenant")]
    OtherTenant,
    /// The caller lacks the permission on that node.
    #[error("permission denied")]
    Permission,
}

/// Where a caller may use a permission: everywhere (platform admins) or below these
/// paths of their tenant. Lists filter by it (`path` starts with one of them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scopes {
    All,
    Paths(Vec<OrgPath>),
}

impl Scopes {
    pub fn is_empty(&self) -> bool {
        matches!(self, Scopes::Paths(p) if p.is_empty())
    }

    pub fn covers(&self, path: &OrgPath) -> bool {
        match self {
            Scopes::All => true,
            Scopes::Paths(ps) => ps.iter().any(|p| p.contains(path)),
        }
    }

    /// The prefixes as strings, for SQL (`starts_with(path, p)` for any `p`); `None`
    /// means no restriction.
    pub fn prefixes(&self) -> Option<Vec<String>> {
        match self {
            Scopes::All => None,
            Scopes::Paths(ps) => Some(ps.iter().map(|p| p.as_str().to_owned()).collect()),
        }
    }
}

/// May `principal` use `permission` on the node at `scope`?
pub fn authorize(principal: &Principal, permission: &str, scope: &OrgPath) -> Result<(), Denied> {
    if principal.platform_admin {
        return Ok(());
    }
    if scope.tenant() != principal.tenant {
        return Err(Denied::OtherTenant);
    }
    if principal
        .grants
        .iter()
        .any(|g| g.path.contains(scope) && g.allows(permission))
    {
        Ok(())
    } else {
        Err(Denied::Permission)
    }
}

impl Principal {
    /// Does any grant carry `permission`, on any node? (The coarse check of the
    /// extractor; the handler then checks the resource's node.)
    pub fn can_anywhere(&self, permission: &str) -> bool {
        self.platform_admin || self.grants.iter().any(|g| g.allows(permission))
    }

    /// May the caller use `permission` at `scope`?
    pub fn can(&self, permission: &str, scope: &OrgPath) -> bool {
        authorize(self, permission, scope).is_ok()
    }

    /// The nodes below which the caller may use `permission`.
    pub fn scopes(&self, permission: &str) -> Scopes {
        if self.platform_admin {
            return Scopes::All;
        }
        let mut paths: Vec<OrgPath> = self
            .grants
            .iter()
            .filter(|g| g.allows(permission) && g.path.tenant() == self.tenant)
            .map(|g| g.path.clone())
            .collect();
        paths.sort();
        // Drop paths already covered by a shorter one.
        let mut kept: Vec<OrgPath> = Vec::with_capacity(paths.len());
        for p in paths {
            if !kept.iter().any(|k| k.contains(&p)) {
                kept.push(p);
            }
        }
        Scopes::Paths(kept)
    }

    /// The tenant's root path.
    pub fn tenant_root(&self) -> Result<OrgPath, InvalidPath> {
        OrgPath::root(&self.tenant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> OrgPath {
        OrgPath::parse(s).unwrap()
    }

    fn principal(grants: Vec<Grant>) -> Principal {
        Principal {
            subject: "u1".into(),
            kind: PrincipalKind::User,
            tenant: "t1".into(),
            roles: vec![],
            grants,
            platform_admin: false,
        }
    }

    #[test]
    fn paths_parse_strictly() {
        for bad in [
            "", "/", "a/", "/a", "//", "/a//b/", "/a b/", "/a%/", "/a_b/", "/a/../",
        ] {
            assert!(OrgPath::parse(bad).is_err(), "{bad:?} accepted");
        }
        let x = p("/t1/r1/s1/");
        assert_eq!((x.tenant(), x.node(), x.depth()), ("t1", "s1", 3));
        assert!(p("/t1/r1/").contains(&x));
        assert!(!p("/t1/r/").contains(&p("/t1/r1/")), "segment-aware");
        assert!(!p("/t1/r1/s1/").contains(&p("/t1/r1/")));
    }

    #[test]
    fn permission_patterns() {
        assert!(permission_matches("*", "users:read"));
        assert!(permission_matches("users:*", "users:read"));
        assert!(permission_matches("users:read", "users:read"));
        assert!(!permission_matches("users:read", "users:create"));
        assert!(!permission_matches("user:*", "users:read"));
        assert!(!permission_matches("users:*", "usersx:read"));
    }

    #[test]
    fn grants_apply_to_their_subtree_in_their_tenant_only() {
        let me = principal(vec![Grant {
            role: "region_manager".into(),
            path: p("/t1/r1/"),
            permissions: vec!["devices:*".into()],
        }]);
        assert_eq!(authorize(&me, "devices:operate", &p("/t1/r1/s1/")), Ok(()));
        assert_eq!(authorize(&me, "devices:operate", &p("/t1/r1/")), Ok(()));
        assert_eq!(
            authorize(&me, "devices:operate", &p("/t1/r2/s9/")),
            Err(Denied::Permission)
        );
        assert_eq!(
            authorize(&me, "devices:operate", &p("/t1/")),
            Err(Denied::Permission)
        );
        assert_eq!(
            authorize(&me, "orders:read", &p("/t1/r1/s1/")),
            Err(Denied::Permission)
        );
        assert_eq!(
            authorize(&me, "devices:read", &p("/t2/r1/")),
            Err(Denied::OtherTenant)
        );
        assert_eq!(me.scopes("devices:read"), Scopes::Paths(vec![p("/t1/r1/")]));
        assert!(me.scopes("orders:read").is_empty());
    }

    #[test]
    fn a_grant_naming_another_tenant_gives_nothing() {
        // A token is signed by identity, but defence in depth: a grant whose path is in
        // another tenant never applies.
        let me = principal(vec![Grant {
            role: "operator_admin".into(),
            path: p("/t2/"),
            permissions: vec!["*".into()],
        }]);
        assert_eq!(
            authorize(&me, "users:read", &p("/t2/")),
            Err(Denied::OtherTenant)
        );
        assert!(me.scopes("users:read").is_empty());
    }

    #[test]
    fn platform_admins_act_everywhere() {
        let mut me = principal(vec![]);
        me.platform_admin = true;
        assert_eq!(authorize(&me, "anything:at_all", &p("/t9/x/")), Ok(()));
        assert_eq!(me.scopes("users:read"), Scopes::All);
    }

    #[test]
    fn scopes_drop_nested_paths() {
        let g = |path: &str| Grant {
            role: "r".into(),
            path: p(path),
            permissions: vec!["sites:read".into()],
        };
        let me = principal(vec![g("/t1/r1/s1/"), g("/t1/r1/"), g("/t1/r2/")]);
        assert_eq!(
            me.scopes("sites:read"),
            Scopes::Paths(vec![p("/t1/r1/"), p("/t1/r2/")])
        );
    }
}
