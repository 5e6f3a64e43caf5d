-- The transactional outbox: a service writes its state change and the event in one
-- transaction; the relay publishes unpublished rows to JetStream and marks them.
CREATE TABLE outbox (
    seq          BIGSERIAL PRIMARY KEY,          -- publish order
    event_id     UUID        NOT NULL UNIQUE,    -- ce-id and Nats-Msg-Id
    subject      TEXT        NOT NULL,
    event_type   TEXT        NOT NULL,           -- ce-type
    source       TEXT        NOT NULL,           -- ce-source
    tenant       TEXT        NOT NULL,           -- ce-tenant
    occurred_at  TIMESTAMPTZ NOT NULL,           -- ce-time
    traceparent  TEXT,
    payload      BYTEA       NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ,
    attempts     INTEGER     NOT NULL DEFAULT 0,
    last_error   TEXT
);

-- The relay only ever scans what is still to be published.
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;
