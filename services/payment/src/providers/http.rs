//! The HTTP client the provider adapters share: a whole-call timeout (past it the
//! outcome is unknown), no redirects (a payment API that redirects is not the one we
//! configured) and a cap on response bodies.

use std::time::Duration;

use super::ProviderError;

/// Provider answers are a few KiB; anything near this is not a provider answer.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

pub fn client(timeout: Duration) -> Result<reqwest::Client, ProviderError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("pylon-payment/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ProviderError::Config(format!("http client: {e}")))
}

/// The body, read up to [`MAX_RESPONSE_BYTES`]. A failure half-way leaves the outcome
/// unknown: the provider may have acted on the request.
pub async fn read_body(mut resp: reqwest::Response) -> Result<Vec<u8>, ProviderError> {
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| ProviderError::Unknown(format!("reading the response: {e}")))?
    {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(ProviderError::Unknown("response too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
