//! Roles and permissions. A permission is `resource:action`; a role is a set of
//! permission patterns (`resource:action` or `resource:*`); a grant is a role on an org
//! node and covers the node's subtree. Built-in roles are in `roles`; operators add
//! custom roles from the same catalogue.

use runtime::auth::{OrgPath, Principal, permission_matches};

pub use super::roles::{BUILTIN, BuiltinRole, CATALOGUE, PLATFORM};
use crate::error::IdentityError;

/// Whether pattern `a` grants everything pattern `b` grants.
pub fn pattern_covers(a: &str, b: &str) -> bool {
    if a == "*" || a == b {
        return true;
    }
    if b == "*" {
        return false;
    }
    match (a.split_once(':'), b.split_once(':')) {
        (Some((ar, "*")), Some((br, _))) => ar == br,
        (Some(_), Some(_)) => permission_matches(a, b),
        _ => false,
    }
}

/// A catalogue permission or `resource:*` pattern (no bare `*`, nothing platform-only).
pub fn check_permission_pattern(p: &str) -> Result<(), IdentityError> {
    let bad = || IdentityError::Invalid(format!("unknown permission {:?}", truncate(p)));
    let (res, act) = p.split_once(':').ok_or_else(bad)?;
    let (_, actions) = CATALOGUE.iter().find(|(r, _)| *r == res).ok_or_else(bad)?;
    if act == "*" || actions.contains(&act) {
        Ok(())
    } else {
        Err(bad())
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

/// A custom role's name: 2–48 of `a-z`, `0-9`, `_`, not a built-in name.
pub fn check_role_name(name: &str) -> Result<(), IdentityError> {
    let ok = (2..=48).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(IdentityError::Invalid(
            "role name must be 2-48 of a-z, 0-9 and '_', starting with a letter".into(),
        ));
    }
    if BuiltinRole::from_name(name).is_some() {
        return Err(IdentityError::RoleExists);
    }
    Ok(())
}

/// A custom role's permissions: 1–100 catalogue patterns, deduplicated and sorted.
pub fn normalize_permissions(perms: &[String]) -> Result<Vec<String>, IdentityError> {
    if perms.is_empty() || perms.len() > 100 {
        return Err(IdentityError::Invalid(
            "permissions must list 1-100 entries".into(),
        ));
    }
    for p in perms {
        check_permission_pattern(p)?;
    }
    let mut v = perms.to_vec();
    v.sort();
    v.dedup();
    Ok(v)
}

/// May `granter` grant (`action` = `grants:create`) or revoke (`grants:delete`) a role
/// with `permissions` on the node at `node`? They need `action` there and must
/// themselves hold every permission of the role there, so nobody can hand out (or take
/// away) more than they have. Only platform admins grant `platform_admin`.
pub fn check_grantable(
    granter: &Principal,
    action: &str,
    role: &str,
    permissions: &[String],
    node: &OrgPath,
) -> Result<(), IdentityError> {
    runtime::auth::authorize(granter, action, node)?;
    if role == BuiltinRole::PlatformAdmin.name() && !granter.platform_admin {
        return Err(IdentityError::NotGrantable(
            "only platform administrators grant platform_admin",
        ));
    }
    if role == BuiltinRole::ThirdParty.name() {
        return Err(IdentityError::NotGrantable(
            "third_party is for apps, not users",
        ));
    }
    if granter.platform_admin {
        return Ok(());
    }
    let held = |p: &String| {
        granter
            .grants
            .iter()
            .any(|g| g.path.contains(node) && g.permissions.iter().any(|gp| pattern_covers(gp, p)))
    };
    if permissions.iter().all(held) {
        Ok(())
    } else {
        Err(IdentityError::NotGrantable(
            "the role carries permissions you do not hold on that node",
        ))
    }
}

/// An app's scopes: a subset of the third_party role, which the creator holds at `node`.
pub fn check_app_scopes(
    creator: &Principal,
    scopes: &[String],
    node: &OrgPath,
) -> Result<Vec<String>, IdentityError> {
    if scopes.is_empty() || scopes.len() > 50 {
        return Err(IdentityError::Invalid(
            "scopes must list 1-50 permissions".into(),
        ));
    }
    let allowed = BuiltinRole::ThirdParty.permissions();
    for s in scopes {
        if !allowed.iter().any(|a| pattern_covers(a, s)) {
            return Err(IdentityError::Invalid(format!(
                "scope {:?} is not available to apps (allowed: {})",
                truncate(s),
                allowed.join(", ")
            )));
        }
        if !creator.can(s, node) {
            return Err(IdentityError::NotGrantable(
                "an app cannot get permissions its creator does not hold",
            ));
        }
    }
    let mut v = scopes.to_vec();
    v.sort();
    v.dedup();
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime::auth::{Grant, PrincipalKind};

    fn who(role: BuiltinRole, path: &str) -> Principal {
        Principal {
            subject: "u".into(),
            kind: PrincipalKind::User,
            tenant: "t".into(),
            roles: vec![role.name().into()],
            grants: vec![Grant {
                role: role.name().into(),
                path: OrgPath::parse(path).unwrap(),
                permissions: role.permissions().iter().map(|s| s.to_string()).collect(),
            }],
            platform_admin: role == BuiltinRole::PlatformAdmin,
        }
    }

    fn perms(r: BuiltinRole) -> Vec<String> {
        r.permissions().iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_builtin_permission_is_in_the_catalogue() {
        for r in BUILTIN {
            if *r == BuiltinRole::PlatformAdmin {
                continue;
            }
            for p in r.permissions() {
                check_permission_pattern(p).unwrap_or_else(|_| panic!("{} has {p}", r.name()));
            }
        }
        for p in PLATFORM {
            assert!(
                check_permission_pattern(p).is_err(),
                "{p} must be platform-only"
            );
        }
    }

    #[test]
    fn nobody_hands_out_more_than_they_hold() {
        let node = OrgPath::parse("/t/r1/").unwrap();
        let rm = who(BuiltinRole::RegionManager, "/t/r1/");
        assert!(
            check_grantable(
                &rm,
                "grants:create",
                "site_manager",
                &perms(BuiltinRole::SiteManager),
                &node
            )
            .is_ok()
        );
        assert!(
            check_grantable(
                &rm,
                "grants:create",
                "maintainer",
                &perms(BuiltinRole::Maintainer),
                &node
            )
            .is_ok()
        );
        assert!(matches!(
            check_grantable(
                &rm,
                "grants:create",
                "finance",
                &perms(BuiltinRole::Finance),
                &node
            ),
            Err(IdentityError::NotGrantable(_))
        ));
        assert!(
            check_grantable(
                &rm,
                "grants:create",
                "operator_admin",
                &perms(BuiltinRole::OperatorAdmin),
                &node
            )
            .is_err()
        );
        let elsewhere = OrgPath::parse("/t/r2/").unwrap();
        assert!(
            check_grantable(
                &rm,
                "grants:create",
                "maintainer",
                &perms(BuiltinRole::Maintainer),
                &elsewhere
            )
            .is_err()
        );
        let oa = who(BuiltinRole::OperatorAdmin, "/t/");
        assert!(
            check_grantable(
                &oa,
                "grants:create",
                "finance",
                &perms(BuiltinRole::Finance),
                &node
            )
            .is_ok()
        );
        assert!(
            check_grantable(&oa, "grants:create", "platform_admin", &["*".into()], &node).is_err()
        );
        let pa = who(BuiltinRole::PlatformAdmin, "/t/");
        assert!(
            check_grantable(&pa, "grants:create", "platform_admin", &["*".into()], &node).is_ok()
        );
        let driver = who(BuiltinRole::Driver, "/t/");
        assert!(
            check_grantable(
                &driver,
                "grants:create",
                "driver",
                &perms(BuiltinRole::Driver),
                &node
            )
            .is_err()
        );
    }

    #[test]
    fn custom_roles_use_the_catalogue() {
        assert!(normalize_permissions(&["devices:*".into(), "orders:read".into()]).is_ok());
        assert!(normalize_permissions(&["*".into()]).is_err());
        assert!(normalize_permissions(&["tenants:create".into()]).is_err());
        assert!(normalize_permissions(&["devices:fly".into()]).is_err());
        assert!(normalize_permissions(&[]).is_err());
        assert!(check_role_name("night_shift").is_ok());
        assert!(matches!(
            check_role_name("support"),
            Err(IdentityError::RoleExists)
        ));
        assert!(check_role_name("Bad Name").is_err());
    }

    #[test]
    fn app_scopes_are_a_subset_of_third_party_and_of_the_creator() {
        let node = OrgPath::parse("/t/").unwrap();
        let oa = who(BuiltinRole::OperatorAdmin, "/t/");
        assert!(check_app_scopes(&oa, &["devices:read".into()], &node).is_ok());
        assert!(check_app_scopes(&oa, &["users:read".into()], &node).is_err());
        let fin = who(BuiltinRole::Finance, "/t/");
        assert!(check_app_scopes(&fin, &["devices:read".into()], &node).is_err());
    }

    #[test]
    fn covers() {
        assert!(pattern_covers("devices:*", "devices:read"));
        assert!(pattern_covers("devices:*", "devices:*"));
        assert!(!pattern_covers("devices:read", "devices:*"));
        assert!(!pattern_covers("devices:*", "*"));
        assert!(pattern_covers("*", "devices:*"));
    }
}
