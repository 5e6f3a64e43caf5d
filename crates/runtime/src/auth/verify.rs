//! Access-token verification: EdDSA only, `kid` looked up in the cached JWKS, issuer,
//! audience, expiry and not-before checked with a small leeway.
//!
//! A driver's app sends the same token with every call for its whole lifetime, and an
//! Ed25519 signature check is most of what authenticating a request costs (under `pylon
//! bench orders`, about 3.6 % of the platform's CPU). So a token whose signature, issuer
//! and audience were checked is remembered by its SHA-256 for as long as it could be valid;
//! a remembered token is still refused once it expires or once its key has left the
//! JWKS, exactly as on its first check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation, decode, decode_header};
use sha2::{Digest, Sha256};

use super::AuthError;
use super::claims::AccessClaims;
use super::jwks::Jwks;
use super::principal::Principal;

/// Longest token accepted; real ones are a few KB even with many grants.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Tokens remembered at most: a few hundred bytes each, so about a megabyte in all.
const REMEMBERED_MAX: usize = 4096;

/// A token whose signature, issuer and audience were checked.
struct Checked {
    kid: String,
    claims: AccessClaims,
}

pub struct TokenVerifier {
    jwks: Arc<Jwks>,
    validation: Validation,
    /// Checked tokens by the SHA-256 of their text.
    checked: Mutex<HashMap<[u8; 32], Checked>>,
}

impl TokenVerifier {
    pub fn new(jwks: Arc<Jwks>, issuer: &str, audience: &str, leeway_secs: u64) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.algorithms = vec![Algorithm::EdDSA];
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = leeway_secs;
        Self {
            jwks,
            validation,
            checked: Mutex::new(HashMap::new()),
        }
    }

    pub fn jwks(&self) -> &Arc<Jwks> {
        &self.jwks
    }

    /// Verifies `token` and returns its claims.
    pub async fn verify_claims(&self, token: &str) -> Result<AccessClaims, AuthError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(AuthError::InvalidToken("token too long"));
        }
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let remembered = self
            .checked
            .lock()
            .ok()
            .and_then(|c| c.get(&digest).map(|c| (c.kid.clone(), c.claims.clone())));
        if let Some((kid, claims)) = remembered {
            self.jwks.key(&kid).await?;
            check_times(&claims, now_secs(), self.validation.leeway)?;
            return Ok(claims);
        }
        // `alg: none` and unknown algorithms fail to parse here; HS256/RS256 headers are
        // refused before any key is touched, so a public key can never be used as an
        // HMAC secret.
        let header =
            decode_header(token).map_err(|_| AuthError::InvalidToken("malformed token"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(AuthError::InvalidToken("algorithm not allowed"));
        }
        let kid = header
            .kid
            .ok_or(AuthError::InvalidToken("token has no key id"))?;
        let key = self.jwks.key(&kid).await?;
        let data = decode::<AccessClaims>(token, &key, &self.validation).map_err(|e| {
            AuthError::InvalidToken(match e.kind() {
                ErrorKind::ExpiredSignature => "token expired",
                ErrorKind::ImmatureSignature => "token not yet valid",
                ErrorKind::InvalidAudience => "token for another audience",
                ErrorKind::InvalidIssuer => "token from another issuer",
                ErrorKind::InvalidSignature => "bad token signature",
                ErrorKind::InvalidAlgorithm => "algorithm not allowed",
                ErrorKind::MissingRequiredClaim(_) => "token misses a required claim",
                _ => "invalid token",
            })
        })?;
        self.remember(digest, kid, &data.claims);
        Ok(data.claims)
    }

    fn remember(&self, digest: [u8; 32], kid: String, claims: &AccessClaims) {
        let Ok(mut checked) = self.checked.lock() else {
            return;
        };
        if checked.len() >= REMEMBERED_MAX {
            let now = now_secs();
            checked.retain(|_, c| c.claims.exp >= now);
            if checked.len() >= REMEMBERED_MAX {
                checked.clear();
            }
        }
        checked.insert(
            digest,
            Checked {
                kid,
                claims: claims.clone(),
            },
        );
    }

    /// How many checked tokens are remembered.
    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.checked.lock().map(|c| c.len()).unwrap_or(0)
    }

    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        Ok(self.verify_claims(token).await?.into_principal())
    }
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Expiry and not-before as `jsonwebtoken` checks them on a token's first check: expired
/// once `exp` is more than `leeway` seconds past, not yet valid while `nbf` is more than
/// `leeway` seconds ahead.
fn check_times(claims: &AccessClaims, now: i64, leeway: u64) -> Result<(), AuthError> {
    let leeway = i64::try_from(leeway).unwrap_or(i64::MAX);
    if claims.exp < now.saturating_sub(leeway) {
        return Err(AuthError::InvalidToken("token expired"));
    }
    if claims.nbf > now.saturating_add(leeway) {
        return Err(AuthError::InvalidToken("token not yet valid"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::RwLock;

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use futures::future::BoxFuture;
    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{EncodingKey, Header};
    use ring::rand::SystemRandom;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    use super::*;
    use crate::auth::jwks::JwksSource;

    /// A JWKS the test can empty, as identity does when a key is retired.
    struct Keys(RwLock<JwkSet>);

    impl JwksSource for Keys {
        fn fetch(&self) -> BoxFuture<'_, Result<JwkSet, AuthError>> {
            let set = self.0.read().unwrap().clone();
            Box::pin(async move { Ok(set) })
        }
    }

    struct Fixture {
        verifier: TokenVerifier,
        keys: Arc<Keys>,
        der: Vec<u8>,
    }

    async fn fixture() -> Fixture {
        let der = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .unwrap()
            .as_ref()
            .to_vec();
        let public = Ed25519KeyPair::from_pkcs8(&der).unwrap();
        let set: JwkSet = serde_json::from_value(serde_json::json!({"keys": [{
            "kty": "OKP", "crv": "Ed25519", "kid": "k1", "alg": "EdDSA", "use": "sig",
            "x": B64.encode(public.public_key().as_ref()),
        }]}))
        .unwrap();
        let keys = Arc::new(Keys(RwLock::new(set)));
        let jwks = Arc::new(Jwks::new(Some(keys.clone())));
        jwks.refresh().await.unwrap();
        Fixture {
            verifier: TokenVerifier::new(jwks, "pylon", "pylon-api", 0),
            keys,
            der,
        }
    }

    fn claims(exp_in: i64) -> AccessClaims {
        let now = now_secs();
        AccessClaims {
            iss: "pylon".into(),
            aud: "pylon-api".into(),
            sub: "u1".into(),
            tid: "t1".into(),
            iat: now - 10,
            nbf: now - 10,
            exp: now + exp_in,
            jti: "j1".into(),
            roles: vec!["driver".into()],
            grants: vec![],
            pa: false,
        }
    }

    fn sign(f: &Fixture, c: &AccessClaims) -> String {
        let mut h = Header::new(Algorithm::EdDSA);
        h.kid = Some("k1".into());
        jsonwebtoken::encode(&h, c, &EncodingKey::from_ed_der(&f.der)).unwrap()
    }

    fn refused(r: Result<AccessClaims, AuthError>) -> String {
        match r {
            Err(AuthError::InvalidToken(why)) => why.to_owned(),
            other => panic!("expected an invalid token, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_checked_token_is_remembered_and_answers_the_same_claims() {
        let f = fixture().await;
        let c = claims(600);
        let token = sign(&f, &c);
        assert_eq!(f.verifier.verify_claims(&token).await.unwrap(), c);
        assert_eq!(f.verifier.remembered(), 1);
        assert_eq!(f.verifier.verify_claims(&token).await.unwrap(), c);
        assert_eq!(f.verifier.remembered(), 1);
    }

    #[tokio::test]
    async fn a_token_with_another_signature_is_checked_afresh_and_refused() {
        let f = fixture().await;
        let token = sign(&f, &claims(600));
        f.verifier.verify_claims(&token).await.unwrap();
        let (body, sig) = token.rsplit_once('.').unwrap();
        let mut sig = B64.decode(sig).unwrap();
        sig[0] ^= 1;
        let forged = format!("{body}.{}", B64.encode(sig));
        assert_eq!(
            refused(f.verifier.verify_claims(&forged).await),
            "bad token signature"
        );
        assert_eq!(f.verifier.remembered(), 1);
    }

    #[tokio::test]
    async fn a_remembered_token_is_refused_once_it_expires() {
        let f = fixture().await;
        let expired = claims(-5);
        let token = sign(&f, &expired);
        assert_eq!(
            refused(f.verifier.verify_claims(&token).await),
            "token expired"
        );
        assert_eq!(
            f.verifier.remembered(),
            0,
            "a refused token is not remembered"
        );
        // As if it had been checked while still valid.
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        f.verifier.remember(digest, "k1".into(), &expired);
        assert_eq!(
            refused(f.verifier.verify_claims(&token).await),
            "token expired"
        );
    }

    #[tokio::test]
    async fn a_remembered_token_is_refused_once_its_key_leaves_the_jwks() {
        let f = fixture().await;
        let token = sign(&f, &claims(600));
        f.verifier.verify_claims(&token).await.unwrap();
        f.keys.0.write().unwrap().keys.clear();
        f.verifier.jwks().refresh().await.unwrap();
        assert_eq!(
            refused(f.verifier.verify_claims(&token).await),
            "unknown signing key"
        );
    }

    #[test]
    fn times_are_checked_with_the_leeway() {
        let c = claims(0);
        let now = c.exp;
        assert!(check_times(&c, now, 0).is_ok());
        assert!(check_times(&c, now + 1, 0).is_err());
        assert!(check_times(&c, now + 30, 30).is_ok());
        assert!(check_times(&c, now + 31, 30).is_err());
        let early = AccessClaims {
            nbf: now + 60,
            exp: now + 600,
            ..c
        };
        assert_eq!(
            check_times(&early, now, 0).err().map(|e| e.to_string()),
            Some(AuthError::InvalidToken("token not yet valid").to_string())
        );
        assert!(check_times(&early, now, 60).is_ok());
    }
}
