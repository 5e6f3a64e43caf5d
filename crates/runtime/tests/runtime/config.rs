// figment::Jail closures return figment::Error, which is large; that is the library API.
#![allow(clippy::result_large_err)]

use figment::Jail;
use runtime::Config;

/// Loads as the binary does. The jail starts without the caller's `PYLON_…` variables
/// (`make test` exports the local stack's addresses), so only what a test sets counts.
fn load(jail: &Jail, file: Option<&str>) -> Result<Config, runtime::config::ConfigError> {
    let path = file.map(|f| jail.directory().join(f));
    Config::load(path.as_deref())
}

#[test]
fn defaults_then_file_then_environment() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        let c = load(jail, None).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.http.listen.port(), 8080);

        jail.create_file(
            "pylon.toml",
            "[http]\nlisten = \"127.0.0.1:9000\"\nbody_limit_bytes = 4096\n[nats]\nurl = \"nats://file:4222\"\n",
        )?;
        let c = load(jail, Some("pylon.toml")).unwrap();
        assert_eq!(c.http.listen.port(), 9000);
        assert_eq!(c.nats.url, "nats://file:4222");
        assert_eq!(c.grpc.listen.port(), 50051, "untouched keys keep defaults");

        jail.set_env("PYLON_HTTP__LISTEN", "127.0.0.1:9100");
        jail.set_env("PYLON_DATABASE__MAX_CONNECTIONS", "7");
        // Not configuration: no `__`, so not a key (scripts use such variables).
        jail.set_env("PYLON_STACK_PG_PORT", "15432");
        let c = load(jail, Some("pylon.toml")).unwrap();
        assert_eq!(c.http.listen.port(), 9100, "environment beats the file");
        assert_eq!(
            c.http.body_limit_bytes, 4096,
            "the file still beats defaults"
        );
        assert_eq!(c.database.max_connections, 7);
        Ok(())
    });
}

#[test]
fn a_bad_value_names_the_key() {
    // (variable, value, what the error must name)
    let cases: [(&str, &str, &[&str]); 5] = [
        ("PYLON_HTTP__LISTEN", "not-an-address", &["http.listen"]),
        (
            "PYLON_HTTP__BODY_LIMIT_BYTES",
            "10",
            &["http.body_limit_bytes", "1024"],
        ),
        (
            "PYLON_TELEMETRY__LOG_FORMAT",
            "xml",
            &["log_format", "json"],
        ),
        (
            "PYLON_DATABASE__URL",
            "mysql://x",
            &["database.url", "postgres://"],
        ),
        // Shorter than an acknowledgement's timeout and the first retry after it: the
        // usual re-send of an event whose ack was late would be stored twice.
        (
            "PYLON_BUS__DEVICE_DUPLICATE_WINDOW_SECS",
            "5",
            &["bus.device_duplicate_window_secs", "6..=86400"],
        ),
    ];
    for (var, value, needles) in cases {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env(var, value);
            let e = load(jail, None).unwrap_err().to_string();
            for needle in needles {
                assert!(e.contains(needle), "{var}={value}: {e}");
            }
            Ok(())
        });
    }
}

#[test]
fn unknown_keys_and_missing_files_are_errors() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.create_file("pylon.toml", "[http]\nlisten_port = 1\n")?;
        let e = load(jail, Some("pylon.toml")).unwrap_err().to_string();
        assert!(e.contains("listen_port"), "{e}");
        let e = load(jail, Some("missing.toml")).unwrap_err().to_string();
        assert!(
            e.contains("missing.toml") && e.contains("does not exist"),
            "{e}"
        );
        Ok(())
    });
}

#[test]
fn secrets_are_masked_when_printed() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.set_env("PYLON_DATABASE__URL", "postgres://app:hunter2@db/pylon");
        jail.set_env("PYLON_CLICKHOUSE__PASSWORD", "s3cret");
        let c = load(jail, None).unwrap();
        assert_eq!(c.database.url.expose(), "postgres://app:hunter2@db/pylon");
        let printed = c.to_masked_toml();
        let debugged = format!("{c:?}");
        for out in [&printed, &debugged] {
            assert!(!out.contains("hunter2") && !out.contains("s3cret"), "{out}");
        }
        assert!(printed.contains("url = \"********\""), "{printed}");
        Ok(())
    });
}

#[test]
fn the_example_config_loads_and_equals_the_defaults() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../deploy/pylon.example.toml");
        let c = Config::load(Some(&path)).unwrap();
        assert_eq!(c, Config::default(), "the example documents the defaults");
        Ok(())
    });
}

#[test]
fn auth_and_identity_keys_are_validated_by_name() {
    for (var, value, key) in [
        (
            "PYLON_AUTH__JWKS_URL",
            "ftp://identity/jwks",
            "auth.jwks_url",
        ),
        (
            "PYLON_AUTH__SIGNATURE_SKEW_SECS",
            "0",
            "auth.signature_skew_secs",
        ),
        ("PYLON_AUTH__ISSUER", "", "auth.issuer"),
        (
            "PYLON_IDENTITY__ACCESS_TTL_SECS",
            "5",
            "identity.access_ttl_secs",
        ),
        (
            "PYLON_IDENTITY__ARGON2_MEMORY_KIB",
            "1",
            "identity.argon2_memory_kib",
        ),
        (
            "PYLON_IDENTITY__LOGIN_MAX_FAILURES",
            "0",
            "identity.login_max_failures",
        ),
        (
            "PYLON_HTTP__CLIENT_IP_HEADER",
            "bad header",
            "http.client_ip_header",
        ),
    ] {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env(var, value);
            let e = load(jail, None).unwrap_err().to_string();
            assert!(e.contains(key), "{var}={value:?}: {e}");
            Ok(())
        });
    }
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.set_env(
            "PYLON_AUTH__JWKS_URL",
            "http://pylon-identity:8080/.well-known/jwks.json",
        );
        jail.set_env("PYLON_IDENTITY__LOG_CODES", "true");
        let c = load(jail, None).unwrap();
        assert!(c.identity.log_codes);
        assert!(c.auth.jwks_url.ends_with("jwks.json"));
        Ok(())
    });
}

#[test]
fn payment_keys_nest_validate_and_mask() {
    Jail::expect_with(|jail| {
        jail.clear_env();
        let c = load(jail, None).unwrap();
        assert!(c.payment.sandbox.enabled && !c.payment.wechat.enabled);
        jail.set_env("PYLON_PAYMENT__WECHAT__ENABLED", "true");
        let e = load(jail, None).unwrap_err().to_string();
        assert!(e.contains("payment.notify_base_url"), "{e}");
        jail.set_env("PYLON_PAYMENT__NOTIFY_BASE_URL", "https://pay.example.com");
        let e = load(jail, None).unwrap_err().to_string();
        assert!(e.contains("payment.wechat.mch_id"), "{e}");
        jail.set_env("PYLON_PAYMENT__WECHAT__MCH_ID", "1900009191");
        jail.set_env("PYLON_PAYMENT__WECHAT__APP_ID", "wxd678efh567hg6787");
        jail.set_env(
            "PYLON_PAYMENT__WECHAT__MERCHANT_SERIAL_NO",
            "1DDE55AD98ED71D6",
        );
        jail.set_env(
            "PYLON_PAYMENT__WECHAT__MERCHANT_PRIVATE_KEY_FILE",
            "/keys/apiclient_key.pem",
        );
        jail.set_env(
            "PYLON_PAYMENT__WECHAT__PLATFORM_PUBLIC_KEY_FILE",
            "/keys/pub_key.pem",
        );
        jail.set_env("PYLON_PAYMENT__WECHAT__API_V3_KEY", "short");
        let e = load(jail, None).unwrap_err().to_string();
        assert!(e.contains("payment.wechat.api_v3_key"), "{e}");
        jail.set_env(
            "PYLON_PAYMENT__WECHAT__API_V3_KEY",
            "v3keyv3keyv3keyv3keyv3keyv3key12",
        );
        // Ids of digits only arrive as numbers from the environment.
        jail.set_env("PYLON_PAYMENT__ALIPAY__APP_ID", "2021000000000001");
        let c = load(jail, None).unwrap();
        assert_eq!(c.payment.wechat.api_v3_key.expose().len(), 32);
        assert_eq!(c.payment.wechat.mch_id, "1900009191");
        assert_eq!(c.payment.alipay.app_id, "2021000000000001");
        let printed = c.to_masked_toml();
        assert!(!printed.contains("v3keyv3key") && !format!("{c:?}").contains("v3keyv3key"));
        assert!(printed.contains("api_v3_key = \"********\""), "{printed}");
        jail.set_env("PYLON_PAYMENT__NOTIFY_BASE_URL", "https://pay.example.com/");
        let e = load(jail, None).unwrap_err().to_string();
        assert!(e.contains("trailing"), "{e}");
        Ok(())
    });
}
