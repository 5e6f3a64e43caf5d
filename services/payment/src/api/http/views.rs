//! What the REST API returns.

use serde::Serialize;

use crate::app::wallets::WalletView;
use crate::store::journal::StatementLine;
use crate::store::payments::PaymentRow;
use crate::store::refunds::RefundRow;

#[derive(Serialize)]
pub struct Wallet {
    pub wallet_id: String,
    pub owner_kind: &'static str,
    pub owner_id: String,
    pub balance_fen: i64,
    pub held_fen: i64,
    pub credit_limit_fen: i64,
}

impl From<&WalletView> for Wallet {
    fn from(w: &WalletView) -> Self {
        Self {
            wallet_id: w.wallet_id.to_string(),
            owner_kind: w.owner.kind,
            owner_id: w.owner.id.to_string(),
            balance_fen: w.balance_fen,
            held_fen: w.held_fen,
            credit_limit_fen: w.credit_limit_fen,
        }
    }
}

#[derive(Serialize)]
pub struct Line {
    pub entry_id: String,
    pub kind: String,
    pub reference: String,
    pub amount_fen: i64,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl From<&StatementLine> for Line {
    fn from(l: &StatementLine) -> Self {
        Self {
            entry_id: l.entry_id.to_string(),
            kind: l.kind.clone(),
            reference: l.reference.clone(),
            amount_fen: l.amount_fen,
            at: l.created_at,
        }
    }
}

#[derive(Serialize)]
pub struct Payment {
    pub id: String,
    pub provider: String,
    pub out_trade_no: String,
    pub purpose: String,
    pub amount_fen: i64,
    pub channel: String,
    pub status: String,
    pub failure: Option<String>,
    /// What the payer's client needs: WeChat JSAPI parameters, or a `code_url` to show
    /// as a QR code.
    pub client_params: serde_json::Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub paid_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<&PaymentRow> for Payment {
    fn from(p: &PaymentRow) -> Self {
        Self {
            id: p.id.to_string(),
            provider: p.provider.clone(),
            out_trade_no: p.out_trade_no.clone(),
            purpose: p.purpose.clone(),
            amount_fen: p.amount_fen,
            channel: p.channel.clone(),
            status: p.status.clone(),
            failure: p.failure.clone(),
            client_params: p.client_params.clone(),
            created_at: p.created_at,
            paid_at: p.paid_at,
        }
    }
}

#[derive(Serialize)]
pub struct Refund {
    pub id: String,
    pub payment_id: String,
    pub out_refund_no: String,
    pub amount_fen: i64,
    pub reason: String,
    pub status: String,
}

impl From<&RefundRow> for Refund {
    fn from(r: &RefundRow) -> Self {
        Self {
            id: r.id.to_string(),
            payment_id: r.payment_id.to_string(),
            out_refund_no: r.out_refund_no.clone(),
            amount_fen: r.amount_fen,
            reason: r.reason.clone(),
            status: r.status.clone(),
        }
    }
}
