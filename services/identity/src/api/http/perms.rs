//! The permissions identity's endpoints require (as types for `runtime::auth::Auth`).

use runtime::permission;

permission!(pub OrgsRead = "orgs:read");
permission!(pub OrgsCreate = "orgs:create");
permission!(pub OrgsUpdate = "orgs:update");
permission!(pub OrgsMove = "orgs:move");
permission!(pub OrgsDisable = "orgs:disable");
permission!(pub UsersRead = "users:read");
permission!(pub UsersCreate = "users:create");
permission!(pub UsersUpdate = "users:update");
permission!(pub UsersDisable = "users:disable");
permission!(pub UsersUnlock = "users:unlock");
permission!(pub RolesRead = "roles:read");
permission!(pub RolesCreate = "roles:create");
permission!(pub RolesUpdate = "roles:update");
permission!(pub RolesDelete = "roles:delete");
permission!(pub GrantsRead = "grants:read");
permission!(pub GrantsCreate = "grants:create");
permission!(pub GrantsDelete = "grants:delete");
permission!(pub AppsRead = "apps:read");
permission!(pub AppsCreate = "apps:create");
permission!(pub AppsRotate = "apps:rotate");
permission!(pub AppsRevoke = "apps:revoke");
permission!(pub AuditRead = "audit:read");
permission!(pub KeysRotate = "keys:rotate");
