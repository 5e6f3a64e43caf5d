-- Payments through providers (WeChat Pay, Alipay, sandbox), their refunds, and every
-- callback received, verified or not.

CREATE TABLE payments (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL,
    provider           text NOT NULL,
    -- Our order number at the provider: unique per provider.
    out_trade_no       text NOT NULL,
    -- 'wallet_top_up' (credits owner's wallet) or 'order' (pays an order directly).
    purpose            text NOT NULL CHECK (purpose IN ('wallet_top_up', 'order')),
    owner_kind         text NOT NULL,
    owner_id           uuid NOT NULL,
    order_ref          text NOT NULL DEFAULT '',
    amount_fen         bigint NOT NULL CHECK (amount_fen > 0),
    description        text NOT NULL,
    channel            text NOT NULL,
    status             text NOT NULL DEFAULT 'created'
                       CHECK (status IN ('created', 'pending', 'succeeded', 'failed', 'closed')),
    provider_txn_id    text,
    failure            text,
    -- What the client needs to pay (JSAPI parameters, a QR code URL).
    client_params      jsonb NOT NULL DEFAULT '{}',
    idempotency_key    text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    paid_at            timestamptz,
    UNIQUE (provider, out_trade_no),
    UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX payments_open ON payments (status, created_at) WHERE status IN ('created', 'pending');
CREATE INDEX payments_owner ON payments (tenant_id, owner_kind, owner_id, created_at DESC);

CREATE TABLE refunds (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL,
    payment_id      uuid NOT NULL REFERENCES payments (id),
    out_refund_no   text NOT NULL UNIQUE,
    amount_fen      bigint NOT NULL CHECK (amount_fen > 0),
    reason          text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    provider_refund_id text,
    idempotency_key text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX refunds_open ON refunds (status, created_at) WHERE status = 'pending';

-- Every callback as received. `notify_id` is the provider's own id of the
-- notification: a replay of the same one is a duplicate.
CREATE TABLE callbacks (
    id            uuid PRIMARY KEY,
    provider      text NOT NULL,
    notify_id     text,
    -- applied | duplicate | rejected (signature/decryption failed) | unknown_payment |
    -- review (verified but inconsistent: amount mismatch, success after refund …)
    outcome       text NOT NULL,
    detail        text NOT NULL DEFAULT '',
    out_trade_no  text,
    headers       jsonb NOT NULL DEFAULT '{}',
    body          text NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX callbacks_notify ON callbacks (provider, notify_id)
    WHERE notify_id IS NOT NULL AND outcome IN ('applied', 'unknown_payment', 'review');
CREATE INDEX callbacks_review ON callbacks (received_at) WHERE outcome IN ('rejected', 'unknown_payment', 'review');
