//! The permissions of identity's catalog the registry checks.

runtime::permission!(pub SitesRead = "sites:read");
runtime::permission!(pub SitesCreate = "sites:create");
runtime::permission!(pub SitesUpdate = "sites:update");
runtime::permission!(pub SitesDelete = "sites:delete");
runtime::permission!(pub DevicesRead = "devices:read");
runtime::permission!(pub DevicesCreate = "devices:create");
runtime::permission!(pub DevicesUpdate = "devices:update");
runtime::permission!(pub DevicesOperate = "devices:operate");
runtime::permission!(pub DevicesDelete = "devices:delete");
