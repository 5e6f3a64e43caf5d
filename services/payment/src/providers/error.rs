//! Provider failures, split by what the service may conclude from them.

/// A provider call that did not give a usable answer.
///
/// The split that matters is whether the money may have moved: after [`Rejected`],
/// [`Invalid`], [`Unavailable`] or [`Config`] nothing happened at the provider; after
/// [`Unknown`] something may have, so the service keeps the payment or refund open and
/// queries it later (docs/payments.md, "Timeouts").
///
/// [`Rejected`]: ProviderError::Rejected
/// [`Invalid`]: ProviderError::Invalid
/// [`Unavailable`]: ProviderError::Unavailable
/// [`Config`]: ProviderError::Config
/// [`Unknown`]: ProviderError::Unknown
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider answered (signed, where it signs) that it will not do it.
    #[error("provider refused: {code}: {message}")]
    Rejected { code: String, message: String },
    /// The provider does not know the payment or refund.
    #[error("not found at the provider: {0}")]
    NotFound(String),
    /// Sent, but no trustworthy answer: timeout, 5xx, throttled, an unverifiable or
    /// unreadable response. Query later.
    #[error("outcome unknown: {0}")]
    Unknown(String),
    /// The request never reached the provider (connection refused, DNS): retry later.
    #[error("provider unreachable: {0}")]
    Unavailable(String),
    /// Our request was wrong before it was sent (amount, ids, a channel this provider
    /// does not offer).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// A key or setting is unusable.
    #[error("provider configuration: {0}")]
    Config(String),
}

impl ProviderError {
    /// True when the provider surely did nothing: the payment (or refund) can be
    /// marked failed. False for [`ProviderError::Unknown`] and [`ProviderError::NotFound`].
    pub fn definitely_failed(&self) -> bool {
        matches!(
            self,
            ProviderError::Rejected { .. }
                | ProviderError::Invalid(_)
                | ProviderError::Unavailable(_)
                | ProviderError::Config(_)
        )
    }

    /// True when the outcome must be found out by a later query.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, ProviderError::Unknown(_))
    }

    pub(crate) fn rejected(code: impl Into<String>, message: impl Into<String>) -> Self {
        ProviderError::Rejected {
            code: code.into(),
            message: message.into(),
        }
    }

    /// Classifies a transport failure: a connect error means nothing was sent; anything
    /// after that (timeout, reset) leaves the outcome open.
    pub(crate) fn from_transport(e: &reqwest::Error) -> Self {
        if e.is_connect() {
            ProviderError::Unavailable(e.to_string())
        } else {
            ProviderError::Unknown(e.to_string())
        }
    }
}

/// Why a notification was not accepted. Every variant is answered with the provider's
/// failure acknowledgement, so a genuine notification is re-sent later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("missing {0}")]
    Missing(&'static str),
    /// The signature timestamp is too far from our clock: a replay or a wrong clock.
    #[error("signature timestamp {0} is outside the allowed window")]
    Stale(i64),
    /// Signed with a key we do not hold (a key id we were not configured with).
    #[error("signed with unknown key {0}")]
    UnknownKey(String),
    #[error("signature does not verify")]
    BadSignature,
    /// AES-GCM authentication failed: the ciphertext, nonce or associated data was
    /// altered, or the APIv3 key is wrong.
    #[error("cannot decrypt the resource")]
    Decrypt,
    /// Verified, but addressed to another merchant or app.
    #[error("addressed to another merchant: {0}")]
    WrongMerchant(String),
    #[error("malformed notification: {0}")]
    Malformed(String),
    /// Verified, but an event this adapter does not act on.
    #[error("unsupported notification: {0}")]
    Unsupported(String),
}
