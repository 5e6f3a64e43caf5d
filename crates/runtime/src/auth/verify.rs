//! Access-token verification: EdDSA only, `kid` looked up in the cached JWKS, issuer,
//! audience, expiry and not-before checked with a small leeway.

use std::sync::Arc;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation, decode, decode_header};

use super::AuthError;
use super::claims::AccessClaims;
use super::jwks::Jwks;
use super::principal::Principal;

/// Longest token accepted; real ones are a few KB even with many grants.
const MAX_TOKEN_LEN: usize = 16 * 1024;

pub struct TokenVerifier {
    jwks: Arc<Jwks>,
    validation: Validation,
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
        Self { jwks, validation }
    }

    pub fn jwks(&self) -> &Arc<Jwks> {
        &self.jwks
    }

    /// Verifies `token` and returns its claims.
    pub async fn verify_claims(&self, token: &str) -> Result<AccessClaims, AuthError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(AuthError::InvalidToken("token too long"));
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
        Ok(data.claims)
    }

    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        Ok(self.verify_claims(token).await?.into_principal())
    }
}
