use sqlx::{Connection, PgConnection, PgPool};

/// A database created for one test and dropped when the value is dropped.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    admin_url: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let admin_url = crate::database_url();
        let name = format!("pylon_{}", crate::unique());
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("connect to PostgreSQL (is the local stack up? `make stack`)");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create test database");
        let url = match admin_url.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("database url has no database part: {admin_url}"),
        };
        Self {
            name,
            url,
            admin_url,
        }
    }

    pub async fn pool(&self) -> PgPool {
        PgPool::connect(&self.url)
            .await
            .expect("connect to test db")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop synchronously on a helper thread: Drop cannot await, and the test's
        // runtime may already be shutting down.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                }
            });
        })
        .join();
    }
}
