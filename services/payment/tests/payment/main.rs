//! The payment service against real PostgreSQL (a database per test) and NATS.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api;
mod flows;
mod ledger;
mod unlocked;
mod wechat_service;

use std::sync::Arc;

use sqlx::PgPool;

/// A migrated payment schema in a fresh database, and a private NATS namespace.
pub struct Db {
    pub pool: PgPool,
    pub ns: bus::Namespace,
    db: testkit::TestDatabase,
    bus: testkit::TestBus,
}

impl Db {
    pub async fn new() -> Self {
        let db = testkit::TestDatabase::create().await;
        let bus = testkit::bus().await;
        let mut config = runtime::Config::default();
        config.database.url = runtime::Secret::new(db.url.clone());
        runtime::app::migrate(&config, &[Arc::new(payment::Payment::default())])
            .await
            .expect("migrate payment");
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(20)
            .connect(&db.url)
            .await
            .unwrap();
        Self {
            pool,
            ns: bus.namespace.clone(),
            db,
            bus,
        }
    }

    /// Tops `owner`'s wallet up by `fen` through the sandbox.
    pub async fn top_up(&self, owner: &payment::app::wallets::Owner, fen: i64) {
        payment::app::wallets::top_up(
            &self.pool,
            &self.ns,
            owner,
            "sandbox",
            fen,
            &format!("topup-{}", uuid::Uuid::now_v7()),
            "test",
        )
        .await
        .unwrap();
    }

    pub fn url(&self) -> String {
        self.db.url.clone()
    }

    /// The NATS namespace token, for an app in the same namespace.
    pub fn token(&self) -> String {
        self.bus.token().to_owned()
    }

    /// Every entry sums to zero and every balance is the sum of its postings.
    pub async fn assert_books_balance(&self) {
        let unbalanced: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM (SELECT entry_id FROM payment.postings GROUP BY entry_id \
             HAVING sum(amount_fen) <> 0) x",
        )
        .fetch_one(&self.pool)
        .await
        .unwrap();
        assert_eq!(unbalanced, 0, "unbalanced journal entries");
        let drift: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM payment.accounts a WHERE a.balance_fen <> \
             (SELECT COALESCE(sum(amount_fen), 0) FROM payment.postings p WHERE p.account_id = a.id)",
        )
        .fetch_one(&self.pool)
        .await
        .unwrap();
        assert_eq!(drift, 0, "balances differ from their postings");
        let total: i64 = sqlx::query_scalar(
            "SELECT COALESCE(sum(balance_fen), 0)::bigint FROM payment.accounts",
        )
        .fetch_one(&self.pool)
        .await
        .unwrap();
        assert_eq!(total, 0, "money appeared or vanished");
    }
}
