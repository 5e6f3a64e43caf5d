//! Third-party request signatures (DESIGN §6): HMAC-SHA256 with the app's secret over
//!
//! ```text
//! METHOD \n PATH \n CANONICAL_QUERY \n TIMESTAMP \n NONCE \n hex(SHA-256(body))
//! ```
//!
//! `PATH` is the request path as sent (percent-encoded), `CANONICAL_QUERY` the query's
//! `key=value` pairs as sent, sorted, joined with `&`, `TIMESTAMP` Unix seconds. Headers:
//! `x-pylon-app-id`, `x-pylon-timestamp`, `x-pylon-nonce`, `x-pylon-signature` (lowercase
//! hex). The timestamp must be within `auth.signature_skew_secs` of the server's clock
//! and a nonce is accepted once (the replay cache in NATS KV remembers it for twice the
//! skew, longer than any timestamp stays acceptable).

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

pub const APP_ID: &str = "x-pylon-app-id";
pub const TIMESTAMP: &str = "x-pylon-timestamp";
pub const NONCE: &str = "x-pylon-nonce";
pub const SIGNATURE: &str = "x-pylon-signature";

/// Lowercase hex SHA-256 of `body`.
pub fn body_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// The query string in canonical form: pairs sorted, as sent otherwise.
pub fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    pairs.sort_unstable();
    pairs.join("&")
}

/// The string that is signed.
pub fn string_to_sign(
    method: &str,
    path: &str,
    query: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        method.to_ascii_uppercase(),
        path,
        canonical_query(query),
        timestamp,
        nonce,
        body_hash(body)
    )
}

/// The signature a client sends (lowercase hex HMAC-SHA256).
pub fn sign(
    secret: &str,
    method: &str,
    path: &str,
    query: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> String {
    hex::encode(mac(secret, method, path, query, timestamp, nonce, body))
}

fn mac(
    secret: &str,
    method: &str,
    path: &str,
    query: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    // HMAC accepts keys of any length; this cannot fail.
    let mut m = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    m.update(string_to_sign(method, path, query, timestamp, nonce, body).as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// Constant-time check of `signature_hex` against the expected one.
#[allow(clippy::too_many_arguments)]
pub fn verify(
    secret: &str,
    signature_hex: &str,
    method: &str,
    path: &str,
    query: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> bool {
    use subtle::ConstantTimeEq;
    let Ok(given) = hex::decode(signature_hex) else {
        return false;
    };
    let expected = mac(secret, method, path, query, timestamp, nonce, body);
    !expected.is_empty() && expected.ct_eq(&given).into()
}

/// A nonce: 16–64 characters of ASCII letters, digits, `-` and `_`.
pub fn valid_nonce(nonce: &str) -> bool {
    (16..=64).contains(&nonce.len())
        && nonce
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_order_does_not_matter_but_everything_else_does() {
        let s = sign("k", "get", "/a", "b=2&a=1", 10, "n", b"");
        assert!(verify("k", &s, "GET", "/a", "a=1&b=2", 10, "n", b""));
        assert!(!verify("k", &s, "GET", "/a", "a=1&b=3", 10, "n", b""));
        assert!(!verify("k", &s, "POST", "/a", "a=1&b=2", 10, "n", b""));
        assert!(!verify("k", &s, "GET", "/b", "a=1&b=2", 10, "n", b""));
        assert!(!verify("k", &s, "GET", "/a", "a=1&b=2", 11, "n", b""));
        assert!(!verify("k", &s, "GET", "/a", "a=1&b=2", 10, "m", b""));
        assert!(!verify("k", &s, "GET", "/a", "a=1&b=2", 10, "n", b"x"));
        assert!(!verify("j", &s, "GET", "/a", "a=1&b=2", 10, "n", b""));
        assert!(!verify("k", "zz", "GET", "/a", "a=1&b=2", 10, "n", b""));
    }

    #[test]
    fn known_vector() {
        // printf 'GET\n/api/v1/x\na=1\n1700000000\nabcdefghijklmnop\n<sha256("")>' | openssl dgst -sha256 -hmac secret
        let s = string_to_sign(
            "GET",
            "/api/v1/x",
            "a=1",
            1_700_000_000,
            "abcdefghijklmnop",
            b"",
        );
        assert!(s.ends_with("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    }

    #[test]
    fn nonces() {
        assert!(valid_nonce("abcdefghijklmnop"));
        assert!(!valid_nonce("short"));
        assert!(!valid_nonce("abcdefghijklmnop.x"));
    }
}
