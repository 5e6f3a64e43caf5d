//! Configuration: built-in defaults < TOML file < environment `PYLON_<SECTION>__<KEY>`,
//! then [`Config::validate`]. Every key is documented in `docs/configuration.md`.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::{Deserialize, Serialize, Serializer};

mod charging;
mod payment;
pub use charging::ChargingConfig;
pub use payment::{AlipayConfig, PaymentConfig, SandboxConfig, WechatPayConfig};

/// A value that must never be printed or logged: `Debug` and `Serialize` mask it.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "\"********\""
        })
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if self.0.is_empty() { "" } else { "********" })
    }
}

/// The whole configuration of a `pylon` process.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub http: HttpConfig,
    pub grpc: GrpcConfig,
    pub gateway: GatewayConfig,
    pub database: DatabaseConfig,
    pub nats: NatsConfig,
    pub clickhouse: ClickHouseConfig,
    pub telemetry: TelemetryConfig,
    pub bus: BusConfig,
    pub shutdown: ShutdownConfig,
    pub auth: AuthConfig,
    pub identity: IdentityConfig,
    pub payment: PaymentConfig,
    pub charging: ChargingConfig,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// REST of every enabled service, `/metrics`, `/healthz`, `/readyz`.
    pub listen: SocketAddr,
    /// Largest request body accepted; larger ones get 413.
    pub body_limit_bytes: usize,
    /// A request running longer than this gets 408.
    pub request_timeout_secs: u64,
    /// Header carrying the client's IP when behind a proxy (its last entry is used, e.g.
    /// `x-forwarded-for`); empty uses the peer address. Set it only behind a proxy that
    /// overwrites or appends it, or clients can spoof their IP.
    pub client_ip_header: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 8080)),
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            client_ip_header: String::new(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GrpcConfig {
    pub listen: SocketAddr,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 50051)),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// The TCP port piles connect to (DNY and GN, recognised from the first bytes).
    pub device_listen: SocketAddr,
    /// Optional extra ports that take only DNY / only GN piles ("" = none), for
    /// fleets configured with a protocol-specific address.
    pub dny_listen: String,
    pub gn_listen: String,
    /// Connections held at once; more are refused at accept.
    pub max_connections: usize,
    /// Connections from one source address (carrier NAT puts many piles behind one).
    pub max_connections_per_ip: usize,
    /// A connection that sends no valid frame within this time is closed.
    pub handshake_timeout_secs: u64,
    /// Missed heartbeat periods before an identified connection counts as dead.
    pub heartbeat_misses: u32,
    /// Seconds without any frame before an identified device counts as gone; 0 derives it
    /// from the protocol's heartbeat period × `heartbeat_misses`. Set it for piles whose
    /// heartbeat interval was changed (DNY 0x83).
    pub idle_timeout_secs: u64,
    /// Frames queued for one device before it counts as stuck and is disconnected.
    pub write_queue_frames: usize,
    /// A write that does not drain within this time disconnects the device.
    pub write_timeout_secs: u64,
    /// Refuse devices that are not in the registry (otherwise accept them as unassigned).
    pub reject_unregistered: bool,
    /// How long a business decision (card authorisation, balance) may take before the
    /// pile gets the protocol's refusal.
    pub decision_timeout_ms: u64,
    /// How long a device command waits for its answer before the one resend (and
    /// after it before `TIMEOUT`). The protocols say 15 s. DNY firmware packets wait
    /// twice this, with up to three resends (fact sheet 1.4: 30 s × 3).
    pub command_timeout_ms: u64,
    /// Publish every frame's JSON to `pylon.raw.<protocol>.<device>` (stream `PYLON_RAW`)
    /// for debugging and third parties. Off saves a JSON encode and a second JetStream
    /// message per frame (docs/benchmarks.md, "Device gateway").
    pub raw_frames: bool,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            device_listen: SocketAddr::from(([0, 0, 0, 0], 7054)),
            dny_listen: String::new(),
            gn_listen: String::new(),
            max_connections: 100_000,
            max_connections_per_ip: 10_000,
            handshake_timeout_secs: 30,
            heartbeat_misses: 3,
            idle_timeout_secs: 0,
            write_queue_frames: 32,
            write_timeout_secs: 10,
            reject_unregistered: false,
            decision_timeout_ms: 3000,
            command_timeout_ms: 15_000,
            raw_frames: true,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    pub url: Secret,
    pub max_connections: u32,
    /// Apply migrations when a service starts (otherwise `pylon migrate` does it).
    pub migrate_on_start: bool,
    pub acquire_timeout_secs: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: Secret::new("postgres://postgres@127.0.0.1:5432/pylon"),
            max_connections: 20,
            migrate_on_start: false,
            acquire_timeout_secs: 5,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NatsConfig {
    pub url: String,
    /// Credentials file (`.creds`) for a secured NATS; empty for none.
    pub credentials_file: String,
    /// Prefix for every subject, stream and consumer; empty in production. Lets several
    /// installations (or parallel tests) share one NATS.
    pub namespace: String,
    pub connect_timeout_secs: u64,
}

impl Default for NatsConfig {
    fn default() -> Self {
        Self {
            url: "nats://127.0.0.1:4222".into(),
            credentials_file: String::new(),
            namespace: String::new(),
            connect_timeout_secs: 5,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ClickHouseConfig {
    pub url: String,
    pub database: String,
    pub user: String,
    pub password: Secret,
}

impl Default for ClickHouseConfig {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8123".into(),
            database: "pylon".into(),
            user: "default".into(),
            password: Secret::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    pub log_format: LogFormat,
    /// `tracing` filter directives, e.g. `info,pylon_bus=debug`.
    pub log_filter: String,
    /// OTLP/gRPC collector, e.g. `http://otel-collector:4317`; empty turns export off.
    pub otlp_endpoint: String,
    pub service_name: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Json,
            log_filter: "info".into(),
            otlp_endpoint: String::new(),
            service_name: "pylon".into(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BusConfig {
    /// JetStream drops a re-published event id within this window (the streams that
    /// outbox relays feed).
    pub duplicate_window_secs: u64,
    /// The same for the gateways' streams (`PYLON_DEVICE`, `PYLON_RAW`): longer than a
    /// publish's acknowledgement timeout (`bus::ACK_TIMEOUT`, 5 s) and its first retry,
    /// short because JetStream keeps every id of the window in memory
    /// (`bus::platform_streams`).
    pub device_duplicate_window_secs: u64,
    /// Deliveries before a failing message is dead-lettered.
    pub max_deliver: u64,
    pub ack_wait_secs: u64,
    /// Outbox rows claimed per relay round.
    pub outbox_batch: i64,
    pub outbox_poll_ms: u64,
}

impl Default for BusConfig {
    fn default() -> Self {
        Self {
            duplicate_window_secs: 600,
            device_duplicate_window_secs: 10,
            max_deliver: 5,
            ack_wait_secs: 30,
            outbox_batch: 100,
            outbox_poll_ms: 200,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ShutdownConfig {
    /// After SIGTERM the process exits within this many seconds, drained or not.
    pub grace_secs: u64,
}

impl Default for ShutdownConfig {
    fn default() -> Self {
        Self { grace_secs: 10 }
    }
}

/// How every service verifies callers (docs/security.md).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// `iss` of access tokens: identity writes it, everyone checks it.
    pub issuer: String,
    /// `aud` of access tokens.
    pub audience: String,
    /// Identity's JWKS, e.g. `http://pylon-identity:8080/.well-known/jwks.json`. Empty:
    /// the identity service running in this process supplies the keys.
    pub jwks_url: String,
    /// The cached JWKS is re-fetched this often (and on an unknown key id).
    pub jwks_refresh_secs: u64,
    /// Clock tolerance for `exp`/`nbf`.
    pub leeway_secs: u64,
    /// Signed requests must carry a timestamp within this many seconds of ours.
    pub signature_skew_secs: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: "pylon".into(),
            audience: "pylon".into(),
            jwks_url: String::new(),
            jwks_refresh_secs: 300,
            leeway_secs: 30,
            signature_skew_secs: 300,
        }
    }
}

/// The identity service: token lifetimes, key rotation, login protection, hashing.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityConfig {
    /// Lifetime of access tokens.
    pub access_ttl_secs: u64,
    /// Lifetime of a refresh token (each refresh issues a new one).
    pub refresh_ttl_secs: u64,
    /// A new signing key is made when the current one is this old.
    pub key_rotation_days: u64,
    /// Failed logins in a row before an account locks.
    pub login_max_failures: u32,
    /// How long a locked account stays locked.
    pub lockout_secs: u64,
    /// Login and code requests allowed per client IP per minute.
    pub login_rate_per_minute: u32,
    /// Lifetime of one-time SMS codes.
    pub code_ttl_secs: u64,
    /// Development only: write one-time codes to the log.
    pub log_codes: bool,
    /// argon2id memory cost in KiB.
    pub argon2_memory_kib: u32,
    /// argon2id passes.
    pub argon2_iterations: u32,
    /// argon2id lanes.
    pub argon2_parallelism: u32,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            access_ttl_secs: 900,
            refresh_ttl_secs: 30 * 24 * 3600,
            key_rotation_days: 30,
            login_max_failures: 5,
            lockout_secs: 900,
            login_rate_per_minute: 30,
            code_ttl_secs: 300,
            log_codes: false,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
        }
    }
}

/// A configuration that cannot be used, naming the key and what is allowed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Parse(String),
    #[error("configuration key `{key}`: {problem}")]
    Invalid { key: &'static str, problem: String },
}

/// The environment variable that names the config file when `--config` is not given.
pub const CONFIG_PATH_ENV: &str = "PYLON_CONFIG";

impl Config {
    /// Defaults, then the file (if given; a missing file given explicitly is an error),
    /// then `PYLON_…` environment variables; then validation.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::from_figment(Self::figment(file)?)
    }

    pub fn figment(file: Option<&Path>) -> Result<Figment, ConfigError> {
        let mut fig = Figment::new();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::Parse(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            fig = fig.merge(Toml::file_exact(path));
        }
        Ok(fig.merge(
            // Only `PYLON_<SECTION>__<KEY>` is configuration; other `PYLON_…` variables
            // (the config path, scripts' own settings) are not keys.
            Env::prefixed("PYLON_")
                .filter(|k| k.as_str().contains("__"))
                .split("__")
                .map(|k| k.as_str().to_ascii_lowercase().into()),
        ))
    }

    pub fn from_figment(fig: Figment) -> Result<Self, ConfigError> {
        let config: Config = fig.extract().map_err(|e| {
            ConfigError::Parse(
                e.into_iter()
                    .map(|e| {
                        let from = e
                            .metadata
                            .as_ref()
                            .map(|m| format!(" (from {})", m.name))
                            .unwrap_or_default();
                        if e.path.is_empty() {
                            format!("{}{from}", e.kind)
                        } else {
                            let key = e.path.join(".").to_ascii_lowercase();
                            format!("key `{key}`: {}{from}", e.kind)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        fn invalid(key: &'static str, problem: impl Into<String>) -> Result<(), ConfigError> {
            Err(ConfigError::Invalid {
                key,
                problem: problem.into(),
            })
        }
        let b = self.http.body_limit_bytes;
        if !(1024..=64 * 1024 * 1024).contains(&b) {
            invalid(
                "http.body_limit_bytes",
                format!("{b} is outside 1024..=67108864"),
            )?;
        }
        if !(1..=600).contains(&self.http.request_timeout_secs) {
            invalid("http.request_timeout_secs", "must be 1..=600")?;
        }
        if !self.database.url.expose().starts_with("postgres://")
            && !self.database.url.expose().starts_with("postgresql://")
        {
            invalid(
                "database.url",
                "must start with postgres:// or postgresql://",
            )?;
        }
        if !(1..=1000).contains(&self.database.max_connections) {
            invalid("database.max_connections", "must be 1..=1000")?;
        }
        if !self.nats.url.starts_with("nats://") && !self.nats.url.starts_with("tls://") {
            invalid("nats.url", "must start with nats:// or tls://")?;
        }
        if bus::Namespace::new(&self.nats.namespace).is_err() {
            invalid("nats.namespace", "only ASCII letters, digits, '-' and '_'")?;
        }
        if !self.clickhouse.url.starts_with("http://")
            && !self.clickhouse.url.starts_with("https://")
        {
            invalid("clickhouse.url", "must start with http:// or https://")?;
        }
        if self.clickhouse.database.is_empty()
            || !self
                .clickhouse
                .database
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            invalid("clickhouse.database", "must be letters, digits and '_'")?;
        }
        if tracing_subscriber::EnvFilter::try_new(&self.telemetry.log_filter).is_err() {
            invalid("telemetry.log_filter", "not a valid tracing filter")?;
        }
        if !self.telemetry.otlp_endpoint.is_empty()
            && !self.telemetry.otlp_endpoint.starts_with("http")
        {
            invalid(
                "telemetry.otlp_endpoint",
                "must be empty or an http(s):// URL",
            )?;
        }
        if !(1..=100).contains(&self.bus.max_deliver) {
            invalid("bus.max_deliver", "must be 1..=100")?;
        }
        if !(1..=3600).contains(&self.bus.ack_wait_secs) {
            invalid("bus.ack_wait_secs", "must be 1..=3600")?;
        }
        if !(10..=86_400).contains(&self.bus.duplicate_window_secs) {
            invalid("bus.duplicate_window_secs", "must be 10..=86400")?;
        }
        // Longer than an acknowledgement's timeout and the first retry after it.
        let shortest = bus::ACK_TIMEOUT.as_secs() + 1;
        if !(shortest..=86_400).contains(&self.bus.device_duplicate_window_secs) {
            invalid(
                "bus.device_duplicate_window_secs",
                format!("must be {shortest}..=86400"),
            )?;
        }
        if !(1..=10_000).contains(&self.bus.outbox_batch) {
            invalid("bus.outbox_batch", "must be 1..=10000")?;
        }
        if !(10..=60_000).contains(&self.bus.outbox_poll_ms) {
            invalid("bus.outbox_poll_ms", "must be 10..=60000")?;
        }
        let g = &self.gateway;
        if !(1..=1_000_000).contains(&g.max_connections) {
            invalid("gateway.max_connections", "must be 1..=1000000")?;
        }
        if !(1..=g.max_connections).contains(&g.max_connections_per_ip) {
            invalid(
                "gateway.max_connections_per_ip",
                "must be 1..=gateway.max_connections",
            )?;
        }
        if !(1..=600).contains(&g.handshake_timeout_secs) {
            invalid("gateway.handshake_timeout_secs", "must be 1..=600")?;
        }
        if !(1..=10).contains(&g.heartbeat_misses) {
            invalid("gateway.heartbeat_misses", "must be 1..=10")?;
        }
        for (key, value) in [
            ("gateway.dny_listen", &g.dny_listen),
            ("gateway.gn_listen", &g.gn_listen),
        ] {
            if !value.is_empty() && value.parse::<SocketAddr>().is_err() {
                invalid(key, "must be empty or a socket address like 0.0.0.0:7055")?;
            }
        }
        if g.idle_timeout_secs > 86_400 {
            invalid("gateway.idle_timeout_secs", "must be 0..=86400")?;
        }
        if !(1..=4096).contains(&g.write_queue_frames) {
            invalid("gateway.write_queue_frames", "must be 1..=4096")?;
        }
        if !(1..=300).contains(&g.write_timeout_secs) {
            invalid("gateway.write_timeout_secs", "must be 1..=300")?;
        }
        if !(100..=60_000).contains(&g.decision_timeout_ms) {
            invalid("gateway.decision_timeout_ms", "must be 100..=60000")?;
        }
        if !(100..=120_000).contains(&g.command_timeout_ms) {
            invalid("gateway.command_timeout_ms", "must be 100..=120000")?;
        }
        if !(1..=300).contains(&self.shutdown.grace_secs) {
            invalid("shutdown.grace_secs", "must be 1..=300")?;
        }
        self.validate_auth()?;
        self.payment.validate()?;
        self.charging.validate()?;
        Ok(())
    }

    fn validate_auth(&self) -> Result<(), ConfigError> {
        fn invalid(key: &'static str, problem: &str) -> Result<(), ConfigError> {
            Err(ConfigError::Invalid {
                key,
                problem: problem.into(),
            })
        }
        let h = &self.http.client_ip_header;
        if !h.is_empty() && axum::http::HeaderName::from_bytes(h.as_bytes()).is_err() {
            invalid("http.client_ip_header", "must be empty or a header name")?;
        }
        let a = &self.auth;
        if a.issuer.is_empty() {
            invalid("auth.issuer", "must not be empty")?;
        }
        if a.audience.is_empty() {
            invalid("auth.audience", "must not be empty")?;
        }
        if !a.jwks_url.is_empty()
            && !a.jwks_url.starts_with("http://")
            && !a.jwks_url.starts_with("https://")
        {
            invalid("auth.jwks_url", "must be empty or an http(s):// URL")?;
        }
        if !(10..=86_400).contains(&a.jwks_refresh_secs) {
            invalid("auth.jwks_refresh_secs", "must be 10..=86400")?;
        }
        if a.leeway_secs > 300 {
            invalid("auth.leeway_secs", "must be 0..=300")?;
        }
        if !(10..=3600).contains(&a.signature_skew_secs) {
            invalid("auth.signature_skew_secs", "must be 10..=3600")?;
        }
        let i = &self.identity;
        if !(60..=86_400).contains(&i.access_ttl_secs) {
            invalid("identity.access_ttl_secs", "must be 60..=86400")?;
        }
        if !(3600..=31_536_000).contains(&i.refresh_ttl_secs) {
            invalid("identity.refresh_ttl_secs", "must be 3600..=31536000")?;
        }
        if !(1..=365).contains(&i.key_rotation_days) {
            invalid("identity.key_rotation_days", "must be 1..=365")?;
        }
        if !(1..=100).contains(&i.login_max_failures) {
            invalid("identity.login_max_failures", "must be 1..=100")?;
        }
        if !(1..=86_400).contains(&i.lockout_secs) {
            invalid("identity.lockout_secs", "must be 1..=86400")?;
        }
        if !(1..=10_000).contains(&i.login_rate_per_minute) {
            invalid("identity.login_rate_per_minute", "must be 1..=10000")?;
        }
        if !(30..=3600).contains(&i.code_ttl_secs) {
            invalid("identity.code_ttl_secs", "must be 30..=3600")?;
        }
        if !(8..=4_194_304).contains(&i.argon2_memory_kib) {
            invalid("identity.argon2_memory_kib", "must be 8..=4194304")?;
        }
        if !(1..=100).contains(&i.argon2_iterations) {
            invalid("identity.argon2_iterations", "must be 1..=100")?;
        }
        if !(1..=64).contains(&i.argon2_parallelism) {
            invalid("identity.argon2_parallelism", "must be 1..=64")?;
        }
        Ok(())
    }

    /// The effective configuration as TOML, secrets masked (`pylon config print`).
    pub fn to_masked_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
    }

    pub fn namespace(&self) -> bus::Namespace {
        // validate() has checked it.
        bus::Namespace::new(&self.nats.namespace).unwrap_or_default()
    }
}
