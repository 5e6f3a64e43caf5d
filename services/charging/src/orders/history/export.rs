//! The CSV export, streamed: the header, then batches of [`BATCH`] orders read by
//! keyset (`created_at`, `id` below the last row sent), so memory stays one batch
//! whatever the range, and no connection is held while a slow client reads.

use chrono::{DateTime, Utc};
use futures::Stream;
use sqlx::PgPool;
use uuid::Uuid;

use super::csv;
use crate::error::ChargingError;
use crate::orders::store::history::{self, OrderFilter};

/// Orders per query.
pub const BATCH: i64 = 500;

enum Next {
    Header,
    Before(DateTime<Utc>, Uuid),
    Done,
}

/// The CSV text of every order of `f` (whose `to` bounds the range), newest first, in
/// chunks. A database error ends the stream with that error (the HTTP body is cut
/// short, so the client sees an incomplete download rather than a short file).
pub fn stream(
    pool: PgPool,
    f: OrderFilter,
    to: DateTime<Utc>,
) -> impl Stream<Item = Result<String, ChargingError>> + Send + 'static {
    futures::stream::unfold(Next::Header, move |next| {
        let (pool, f) = (pool.clone(), f.clone());
        async move {
            match next {
                Next::Header => Some((Ok(csv::header()), Next::Before(to, Uuid::max()))),
                Next::Before(at, id) => {
                    match history::batch_before(&pool, &f, (at, id), BATCH).await {
                        Ok(rows) => {
                            let last = rows.last()?;
                            let next = if (rows.len() as i64) < BATCH {
                                Next::Done
                            } else {
                                Next::Before(last.order.created_at, last.order.id)
                            };
                            let text: String = rows
                                .iter()
                                .map(|r| csv::row(&r.order, r.site_name.as_deref()))
                                .collect();
                            Some((Ok(text), next))
                        }
                        Err(e) => Some((Err(e.into()), Next::Done)),
                    }
                }
                Next::Done => None,
            }
        }
    })
}
