use crate::Env;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn version_and_config_print() {
    let env = Env::new().await;
    let out = env.output(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout).trim(),
        format!("pylon {}", env!("CARGO_PKG_VERSION"))
    );

    let out = env
        .command(&["config", "print"])
        .env("PYLON_CLICKHOUSE__PASSWORD", "s3cret")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(
        printed.contains(&format!("listen = \"127.0.0.1:{}\"", env.http)),
        "{printed}"
    );
    assert!(
        printed.contains("url = \"********\""),
        "database url masked: {printed}"
    );
    assert!(
        !printed.contains("s3cret") && !printed.contains(&env.db.name),
        "{printed}"
    );
}

#[tokio::test]
async fn bad_configuration_and_unknown_services_exit_2_with_a_reason() {
    let env = Env::new().await;
    let out = env
        .command(&["run", "all"])
        .env("PYLON_BUS__MAX_DELIVER", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("bus.max_deliver") && err.contains("1..=100"),
        "{err}"
    );

    let out = env.output(&["run", "gatway"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("unknown service \"gatway\"") && err.contains("gateway"),
        "{err}"
    );
}

#[tokio::test]
async fn migrate_creates_every_schema_with_bus_tables_and_is_idempotent() {
    let env = Env::new().await;
    for _ in 0..2 {
        let out = env.output(&["migrate"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let pool = env.db.pool().await;
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_schema::text, table_name::text FROM information_schema.tables \
         WHERE table_name IN ('outbox', 'processed_events') ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let schemas = [
        "analytics",
        "billing",
        "charging",
        "identity",
        "notification",
        "payment",
    ];
    let want: Vec<(String, String)> = schemas
        .iter()
        .flat_map(|s| {
            [
                (s.to_string(), "outbox".to_string()),
                (s.to_string(), "processed_events".to_string()),
            ]
        })
        .collect();
    assert_eq!(
        tables, want,
        "the gateway has no schema; every other service has its own"
    );
    // Each schema keeps its own migration history: the bus migrations, then the
    // service's own.
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM charging._sqlx_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    let sql_files = |dir: &str| {
        std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "sql")
            })
            .count() as i64
    };
    let bus = sql_files(concat!(env!("CARGO_MANIFEST_DIR"), "/../bus/migrations"));
    let own = sql_files(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../services/charging/migrations"
    ));
    assert!(
        bus >= 3,
        "the bus has its outbox, processed events and later migrations"
    );
    assert_eq!(applied, bus + own);
    // ClickHouse got its database and history table.
    let q = format!(
        "SELECT count() FROM {}.schema_migrations",
        env.clickhouse_db
    );
    let res = reqwest::Client::new()
        .post(testkit::clickhouse_url())
        .body(q)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn admin_bootstrap_creates_the_first_operator_once_and_prints_the_login() {
    let env = Env::new().await;
    let out = env
        .command(&[
            "admin",
            "bootstrap",
            "--tenant-code",
            "acme",
            "--email",
            "ops@acme.test",
        ])
        .env("PYLON_ADMIN_PASSWORD", "Bootstrap-pass1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(
        printed.contains("created operator acme")
            && printed.contains("administrator: ops@acme.test")
            && printed.contains("password: Bootstrap-pass1")
            && printed.contains("/api/v1/auth/login"),
        "{printed}"
    );
    let again = env.output(&[
        "admin",
        "bootstrap",
        "--tenant-code",
        "acme",
        "--email",
        "ops@acme.test",
    ]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    let printed = text(&again.stdout);
    assert!(
        printed.contains("already exists") && printed.contains("password: unchanged"),
        "{printed}"
    );
    let pool = env.db.pool().await;
    let grants: Vec<String> =
        sqlx::query_scalar("SELECT role FROM identity.role_grants ORDER BY role")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(grants, ["operator_admin", "platform_admin"]);
}
