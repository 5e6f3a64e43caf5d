-- Orders: one charging session from the driver's request to the captured payment.
-- States and transitions: docs/charging.md ("Orders"); every transition is a row of
-- order_transitions and an event on PYLON_CHARGING.

CREATE TABLE orders (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL,
    -- The payer: a driver's user id.
    user_id            uuid NOT NULL,
    device_id          text NOT NULL,
    port               integer NOT NULL CHECK (port > 0),
    -- The device's org path (its site), for tariffs and permissions.
    node_path          text NOT NULL,
    protocol           text NOT NULL,
    state              text NOT NULL,
    -- What the driver asked for: 'duration' (s), 'energy' (Wh) or 'full'.
    limit_kind         text NOT NULL CHECK (limit_kind IN ('duration', 'energy', 'full')),
    limit_value        bigint NOT NULL DEFAULT 0,
    hold_fen           bigint NOT NULL CHECK (hold_fen > 0),
    hold_id            text,
    -- How the pile names the order: DNY our 16-byte order number (32 hex), GN the
    -- business number the socket allocated.
    device_order_ref   text NOT NULL DEFAULT '',
    tariff_id          uuid,
    tariff_version     integer,
    started_at         timestamptz,
    ended_at           timestamptz,
    energy_wh          bigint,
    duration_secs      bigint,
    max_power_dw       integer,
    end_reason         text,
    device_amount_fen  bigint,
    amount_fen         bigint,
    bill_id            text,
    last_meter_wh      bigint,
    last_meter_at      timestamptz,
    last_power_dw      integer,
    -- When the current transitional state times out (the sweeper's index).
    deadline           timestamptz,
    failure            text,
    idempotency_key    text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, idempotency_key)
);
-- One live order per port: 50 drivers scanning one port at once get one order.
CREATE UNIQUE INDEX orders_one_live_per_port ON orders (device_id, port)
    WHERE state IN ('created', 'authorized', 'starting', 'charging', 'stopping');
CREATE INDEX orders_device_ref ON orders (device_id, device_order_ref);
CREATE INDEX orders_deadline ON orders (deadline) WHERE deadline IS NOT NULL;
CREATE INDEX orders_user ON orders (tenant_id, user_id, created_at DESC);
CREATE INDEX orders_tenant_time ON orders (tenant_id, created_at DESC);

CREATE TABLE order_transitions (
    order_id    uuid NOT NULL REFERENCES orders (id),
    at          timestamptz NOT NULL DEFAULT now(),
    from_state  text NOT NULL,
    to_state    text NOT NULL,
    reason      text NOT NULL DEFAULT ''
);
CREATE INDEX order_transitions_order ON order_transitions (order_id, at);
