//! The permissions billing's endpoints require (as types for `runtime::auth::Auth`).
//! All of them are in identity's permission catalogue.

use runtime::permission;

permission!(pub TariffsRead = "tariffs:read");
permission!(pub TariffsCreate = "tariffs:create");
permission!(pub TariffsUpdate = "tariffs:update");
permission!(pub BillsRead = "bills:read");
permission!(pub InvoicesRead = "invoices:read");
