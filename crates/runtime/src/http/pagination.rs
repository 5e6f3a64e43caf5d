//! `limit`/`offset` pagination: `?limit=20&offset=40` in, `{"items","total","limit","offset"}` out.

use serde::{Deserialize, Serialize};

use super::envelope::ApiError;

/// Page size when none is asked for.
pub const DEFAULT_LIMIT: u32 = 20;
/// Largest page anyone gets: a client cannot make one request read a whole table.
pub const MAX_LIMIT: u32 = 200;
/// Deep offsets scan and discard; beyond this clients must filter (e.g. by time range).
pub const MAX_OFFSET: u64 = 100_000;

/// The raw query parameters.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub limit: Option<u32>,
    pub offset: Option<u64>,
}

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Page {
    limit: u32,
    offset: u64,
}

impl Page {
    pub fn new(limit: Option<u32>, offset: Option<u64>) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid(format!(
                "limit must be between 1 and {MAX_LIMIT}, got {limit}"
            )));
        }
        let offset = offset.unwrap_or(0);
        if offset > MAX_OFFSET {
            return Err(ApiError::invalid(format!(
                "offset must be at most {MAX_OFFSET}, got {offset}; narrow the query with filters"
            )));
        }
        Ok(Self { limit, offset })
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }
    pub fn offset(&self) -> u64 {
        self.offset
    }
    /// For SQL `LIMIT $n OFFSET $m` binds (PostgreSQL takes i64).
    pub fn sql(&self) -> (i64, i64) {
        (i64::from(self.limit), self.offset as i64)
    }
}

impl TryFrom<PageQuery> for Page {
    type Error = ApiError;
    fn try_from(q: PageQuery) -> Result<Self, ApiError> {
        Page::new(q.limit, q.offset)
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Page {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let super::extract::ApiQuery(q) =
            super::extract::ApiQuery::<PageQuery>::from_request_parts(parts, state).await?;
        q.try_into()
    }
}

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

impl<T> Paged<T> {
    pub fn new(items: Vec<T>, total: u64, page: Page) -> Self {
        Self {
            items,
            total,
            limit: page.limit,
            offset: page.offset,
        }
    }

    /// A page with the total as SQL counts it (`count(*)` is a bigint; never negative).
    pub fn counted(items: Vec<T>, total: i64, page: Page) -> Self {
        Self::new(items, u64::try_from(total).unwrap_or(0), page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counted_page_takes_the_sql_count() {
        let p = Page::new(Some(10), Some(20)).unwrap();
        let page = Paged::counted(vec![1, 2], 42, p);
        assert_eq!((page.total, page.limit, page.offset), (42, 10, 20));
        assert_eq!(Paged::<u8>::counted(vec![], -1, p).total, 0);
    }

    #[test]
    fn defaults_and_bounds() {
        let p = Page::new(None, None).unwrap();
        assert_eq!((p.limit(), p.offset()), (DEFAULT_LIMIT, 0));
        assert!(Page::new(Some(0), None).is_err());
        assert!(Page::new(Some(MAX_LIMIT + 1), None).is_err());
        assert!(Page::new(Some(MAX_LIMIT), Some(MAX_OFFSET)).is_ok());
        let e = Page::new(None, Some(MAX_OFFSET + 1)).unwrap_err();
        assert!(e.message.contains("offset"), "{e}");
    }
}
