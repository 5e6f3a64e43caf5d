//! The permissions payment's endpoints require (identity's role catalog names them).

runtime::permission!(pub WalletRead = "wallet:read");
runtime::permission!(pub WalletTopup = "wallet:topup");
runtime::permission!(pub PaymentsRead = "payments:read");
runtime::permission!(pub PaymentsUpdate = "payments:update");
runtime::permission!(pub RefundsCreate = "refunds:create");
