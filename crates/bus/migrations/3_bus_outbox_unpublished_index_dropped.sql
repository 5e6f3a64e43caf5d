-- The relay deletes what it published (it no longer marks rows), so every row in the
-- outbox is unpublished and `outbox_unpublished` indexed the same rows as the primary key:
-- one more index entry written per event for nothing. The relay's scan (`WHERE
-- published_at IS NULL ORDER BY seq`) walks the primary key instead.
DROP INDEX outbox_unpublished;
