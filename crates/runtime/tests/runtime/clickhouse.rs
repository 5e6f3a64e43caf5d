use runtime::clickhouse::{ChMigration, client, migrate};
use runtime::config::ClickHouseConfig;

static MIGRATIONS: &[ChMigration] = &[
    ChMigration {
        version: 1,
        name: "samples",
        sql: "CREATE TABLE IF NOT EXISTS {db}.samples (ts DateTime, device String, energy_wh UInt64) \
              ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (device, ts)",
    },
    ChMigration {
        version: 2,
        name: "samples_by_device",
        sql: "CREATE TABLE IF NOT EXISTS {db}.energy_by_device (device String, energy_wh UInt64) \
              ENGINE = SummingMergeTree ORDER BY device;\n\
              CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.energy_by_device_mv TO {db}.energy_by_device \
              AS SELECT device, energy_wh FROM {db}.samples",
    },
];

#[derive(clickhouse::Row, serde::Serialize, serde::Deserialize, Debug, PartialEq)]
struct Sample {
    ts: u32,
    device: String,
    energy_wh: u64,
}

#[tokio::test]
async fn migrations_apply_once_and_the_client_works_on_this_server() {
    let cfg = ClickHouseConfig {
        url: testkit::clickhouse_url(),
        database: format!("pylon_{}", testkit::unique()),
        ..ClickHouseConfig::default()
    };
    migrate(&cfg, MIGRATIONS).await.unwrap();
    migrate(&cfg, MIGRATIONS).await.unwrap();
    let ch = client(&cfg);
    let applied: Vec<u32> = ch
        .query("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(applied, [1, 2], "each migration recorded once");

    let mut insert = ch.insert::<Sample>("samples").await.unwrap();
    for (i, wh) in [(0u32, 100u64), (60, 250)] {
        insert
            .write(&Sample {
                ts: 1_790_000_000 + i,
                device: "dny-04ab373b".into(),
                energy_wh: wh,
            })
            .await
            .unwrap();
    }
    insert.end().await.unwrap();
    let total: u64 = ch
        .query("SELECT sum(energy_wh) FROM energy_by_device WHERE device = ?")
        .bind("dny-04ab373b")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(total, 350, "the materialized view aggregated the inserts");

    client(&ClickHouseConfig {
        database: "default".into(),
        ..cfg.clone()
    })
    .query(&format!("DROP DATABASE IF EXISTS {}", cfg.database))
    .execute()
    .await
    .unwrap();
}
