use std::time::Duration;

use runtime::config::{DatabaseConfig, Secret};
use sqlx::PgPool;

async fn backend_pid(pool: &PgPool) -> sqlx::Result<i32> {
    sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(pool)
        .await
}

/// The pool hands idle connections out without testing them first (no round trip before
/// each statement): one that broke while idle fails the statement that takes it, and
/// the pool replaces it for the next.
#[tokio::test]
async fn a_connection_broken_while_idle_fails_one_statement_and_is_replaced() {
    let db = testkit::TestDatabase::create().await;
    let cfg = DatabaseConfig {
        url: Secret::new(db.url.clone()),
        max_connections: 1,
        ..DatabaseConfig::default()
    };
    let pool = runtime::db::pool(&cfg).unwrap();
    let first = backend_pid(&pool).await.unwrap();
    // Back in the pool (the release is finished in a task of its own).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while pool.num_idle() < 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the connection never came back"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let admin = db.pool().await;
    let ended: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(first)
        .fetch_one(&admin)
        .await
        .unwrap();
    assert!(ended);
    // Wait until the server has really closed it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let alive: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)")
                .bind(first)
                .fetch_one(&admin)
                .await
                .unwrap();
        if !alive {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "backend {first} still alive"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    assert!(
        backend_pid(&pool).await.is_err(),
        "the broken connection was tested (a round trip) before it was handed out"
    );
    let second = backend_pid(&pool).await.unwrap();
    assert_ne!(first, second);
}
