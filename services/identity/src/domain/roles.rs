//! The permission catalogue and the built-in roles.

/// Every tenant-level resource and its actions. `resource:*` patterns are allowed for
/// these resources only.
pub const CATALOGUE: &[(&str, &[&str])] = &[
    ("orgs", &["read", "create", "update", "move", "disable"]),
    ("users", &["read", "create", "update", "disable", "unlock"]),
    ("roles", &["read", "create", "update", "delete"]),
    ("grants", &["read", "create", "delete"]),
    ("apps", &["read", "create", "rotate", "revoke"]),
    ("audit", &["read"]),
    // See phone numbers, e-mails, card and ID numbers unmasked.
    ("pii", &["read"]),
    ("sites", &["read", "create", "update", "delete"]),
    (
        "devices",
        &["read", "create", "update", "operate", "delete"],
    ),
    ("orders", &["read", "stop", "refund"]),
    ("tariffs", &["read", "create", "update"]),
    ("bills", &["read"]),
    ("payments", &["read"]),
    ("refunds", &["create", "approve"]),
    ("invoices", &["read", "create"]),
    ("alerts", &["read", "ack", "manage"]),
    ("reports", &["read", "export"]),
    // A driver's own actions.
    ("charging", &["start", "stop"]),
    ("wallet", &["read", "topup"]),
    ("profile", &["read", "update"]),
];

/// Platform-only permissions: only platform administrators hold them.
pub const PLATFORM: &[&str] = &["tenants:create", "tenants:read", "keys:rotate"];

/// The built-in roles, in order of reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuiltinRole {
    PlatformAdmin,
    OperatorAdmin,
    RegionManager,
    SiteManager,
    Maintainer,
    Finance,
    Support,
    Driver,
    ThirdParty,
}

pub const BUILTIN: &[BuiltinRole] = &[
    BuiltinRole::PlatformAdmin,
    BuiltinRole::OperatorAdmin,
    BuiltinRole::RegionManager,
    BuiltinRole::SiteManager,
    BuiltinRole::Maintainer,
    BuiltinRole::Finance,
    BuiltinRole::Support,
    BuiltinRole::Driver,
    BuiltinRole::ThirdParty,
];

impl BuiltinRole {
    pub fn name(&self) -> &'static str {
        match self {
            BuiltinRole::PlatformAdmin => "platform_admin",
            BuiltinRole::OperatorAdmin => "operator_admin",
            BuiltinRole::RegionManager => "region_manager",
            BuiltinRole::SiteManager => "site_manager",
            BuiltinRole::Maintainer => "maintainer",
            BuiltinRole::Finance => "finance",
            BuiltinRole::Support => "support",
            BuiltinRole::Driver => "driver",
            BuiltinRole::ThirdParty => "third_party",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        BUILTIN.iter().copied().find(|r| r.name() == name)
    }

    pub fn description(&self) -> &'static str {
        match self {
            BuiltinRole::PlatformAdmin => "runs the platform: every operator, every permission",
            BuiltinRole::OperatorAdmin => "everything within one operator",
            BuiltinRole::RegionManager => "a region: its sites, devices, staff and alerts",
            BuiltinRole::SiteManager => "a site: its devices, orders and staff",
            BuiltinRole::Maintainer => "field maintenance: devices and alerts",
            BuiltinRole::Finance => "orders, refunds, bills, payments, invoices, reports",
            BuiltinRole::Support => "customer support: users, orders, refund requests",
            BuiltinRole::Driver => "a driver: charging, wallet, own profile",
            BuiltinRole::ThirdParty => "the most a third-party app may be given",
        }
    }

    pub fn permissions(&self) -> &'static [&'static str] {
        match self {
            BuiltinRole::PlatformAdmin => &["*"],
            BuiltinRole::OperatorAdmin => &[
                "orgs:*",
                "users:*",
                "roles:*",
                "grants:*",
                "apps:*",
                "audit:*",
                "pii:*",
                "sites:*",
                "devices:*",
                "orders:*",
                "tariffs:*",
                "bills:*",
                "payments:*",
                "refunds:*",
                "invoices:*",
                "alerts:*",
                "reports:*",
            ],
            BuiltinRole::RegionManager => &[
                "orgs:read",
                "orgs:create",
                "orgs:update",
                "orgs:move",
                "orgs:disable",
                "users:read",
                "users:create",
                "users:update",
                "users:disable",
                "users:unlock",
                "roles:read",
                "grants:read",
                "grants:create",
                "grants:delete",
                "audit:read",
                "pii:read",
                "sites:*",
                "devices:*",
                "orders:read",
                "orders:stop",
                "tariffs:read",
                "alerts:*",
                "reports:read",
            ],
            BuiltinRole::SiteManager => &[
                "orgs:read",
                "orgs:update",
                "users:read",
                "users:create",
                "users:update",
                "roles:read",
                "grants:read",
                "grants:create",
                "sites:read",
                "sites:update",
                "devices:read",
                "devices:update",
                "devices:operate",
                "orders:read",
                "orders:stop",
                "tariffs:read",
                "alerts:read",
                "alerts:ack",
                "reports:read",
            ],
            BuiltinRole::Maintainer => &[
                "orgs:read",
                "sites:read",
                "devices:read",
                "devices:update",
                "devices:operate",
                "alerts:read",
                "alerts:ack",
            ],
            BuiltinRole::Finance => &[
                "orgs:read",
                "orders:read",
                "orders:refund",
                "tariffs:*",
                "bills:read",
                "payments:read",
                "refunds:*",
                "invoices:*",
                "reports:*",
            ],
            BuiltinRole::Support => &[
                "orgs:read",
                "users:read",
                "users:unlock",
                "pii:read",
                "orders:read",
                "orders:stop",
                "refunds:create",
                "sites:read",
                "devices:read",
                "alerts:read",
            ],
            BuiltinRole::Driver => &[
                "profile:read",
                "profile:update",
                "charging:start",
                "charging:stop",
                "wallet:read",
                "wallet:topup",
                "sites:read",
            ],
            BuiltinRole::ThirdParty => &[
                "sites:read",
                "devices:read",
                "devices:operate",
                "orders:read",
                "charging:start",
                "charging:stop",
            ],
        }
    }
}
