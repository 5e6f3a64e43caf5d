-- Order history partitioned by month (docs/charging.md, "History").
--
-- `charging.orders` becomes RANGE-partitioned on `created_at`: one partition per UTC
-- month (`orders_YYYY_MM`) plus `orders_default`, so an insert never fails when a month
-- is missing. The service creates this month and the next two at start-up and daily
-- (orders/partitions.rs); a month that was caught by the default partition is moved into
-- its own when that is created. Old months are detached and archived by an operator.
--
-- A partitioned table's unique indexes must contain the partition key, so the two
-- uniqueness rules of the old table move to small unpartitioned tables, kept by
-- triggers in the transaction of every write to `orders` (whoever writes it):
--   * `order_ids`: one row per order: the id is unique across partitions, the
--     idempotency key per tenant; it also gives an id's `created_at` (its partition);
--   * `port_live_orders`: the one live order of a port (was the partial unique index
--     `orders_one_live_per_port`): inserted with a live order, deleted when it leaves
--     the live states.
-- `order_transitions` references `order_ids` (a real foreign key: a partitioned target
-- would need `created_at` in the key), with ON DELETE CASCADE so archiving a month
-- removes its history rows with its ids.
--
-- The existing rows are copied into the new table (the old one is dropped): a one-time
-- rewrite under this migration's lock.

ALTER TABLE charging.order_transitions DROP CONSTRAINT order_transitions_order_id_fkey;
ALTER TABLE charging.orders RENAME TO orders_unpartitioned;
-- Free the index and constraint names for the new table.
ALTER TABLE charging.orders_unpartitioned DROP CONSTRAINT orders_pkey;
ALTER TABLE charging.orders_unpartitioned DROP CONSTRAINT orders_tenant_id_idempotency_key_key;
ALTER TABLE charging.orders_unpartitioned DROP CONSTRAINT orders_port_check;
ALTER TABLE charging.orders_unpartitioned DROP CONSTRAINT orders_limit_kind_check;
ALTER TABLE charging.orders_unpartitioned DROP CONSTRAINT orders_hold_fen_check;
DROP INDEX charging.orders_one_live_per_port;
DROP INDEX charging.orders_device_ref;
DROP INDEX charging.orders_deadline;
DROP INDEX charging.orders_user;
DROP INDEX charging.orders_tenant_time;

CREATE TABLE charging.orders (
    id                 uuid NOT NULL,
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
    -- The partition key: never updated.
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_pkey PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);

CREATE TABLE charging.orders_default PARTITION OF charging.orders DEFAULT;

-- Created on the partitioned table, so every partition (present and future) has them.
-- Lookups by id use the primary key's leading column in each partition.
CREATE INDEX orders_device_ref ON charging.orders (device_id, device_order_ref);
CREATE INDEX orders_deadline ON charging.orders (deadline) WHERE deadline IS NOT NULL;
-- History queries, newest first, each with the tenant in front (every query has it).
CREATE INDEX orders_tenant_time ON charging.orders (tenant_id, created_at DESC, id DESC);
CREATE INDEX orders_user ON charging.orders (tenant_id, user_id, created_at DESC, id DESC);
CREATE INDEX orders_device ON charging.orders (tenant_id, device_id, created_at DESC, id DESC);
CREATE INDEX orders_site ON charging.orders (tenant_id, node_path, created_at DESC, id DESC);
CREATE INDEX orders_state ON charging.orders (tenant_id, state, created_at DESC, id DESC);

-- One row per order, whatever its partition.
CREATE TABLE charging.order_ids (
    order_id         uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL,
    idempotency_key  text NOT NULL,
    -- The order's partition key.
    created_at       timestamptz NOT NULL,
    CONSTRAINT order_ids_idempotency_key UNIQUE (tenant_id, idempotency_key)
);

-- The live order of each port (states created, authorized, starting, charging,
-- stopping: orders/domain/state.rs `is_live`).
CREATE TABLE charging.port_live_orders (
    device_id         text NOT NULL,
    port              integer NOT NULL,
    order_id          uuid NOT NULL UNIQUE REFERENCES charging.order_ids (order_id) ON DELETE CASCADE,
    order_created_at  timestamptz NOT NULL,
    CONSTRAINT port_live_orders_pkey PRIMARY KEY (device_id, port)
);

CREATE FUNCTION charging.order_is_live(state text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT state IN ('created', 'authorized', 'starting', 'charging', 'stopping') $$;

-- A second order for a key fails on `order_ids_idempotency_key`, a second live order
-- for a port on `port_live_orders_pkey`: orders/store.rs maps both by name.
CREATE FUNCTION charging.orders_keep_ids_and_ports() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    was_live boolean := TG_OP = 'UPDATE' AND charging.order_is_live(OLD.state);
    is_live boolean := charging.order_is_live(NEW.state);
    same_port boolean := TG_OP = 'UPDATE'
        AND OLD.device_id = NEW.device_id AND OLD.port = NEW.port;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO charging.order_ids (order_id, tenant_id, idempotency_key, created_at)
        VALUES (NEW.id, NEW.tenant_id, NEW.idempotency_key, NEW.created_at);
    ELSIF (OLD.tenant_id, OLD.idempotency_key) IS DISTINCT FROM (NEW.tenant_id, NEW.idempotency_key) THEN
        UPDATE charging.order_ids SET tenant_id = NEW.tenant_id, idempotency_key = NEW.idempotency_key
        WHERE order_id = NEW.id;
    END IF;
    IF was_live AND NOT (is_live AND same_port) THEN
        DELETE FROM charging.port_live_orders WHERE order_id = OLD.id;
    END IF;
    IF is_live AND NOT (was_live AND same_port) THEN
        INSERT INTO charging.port_live_orders (device_id, port, order_id, order_created_at)
        VALUES (NEW.device_id, NEW.port, NEW.id, NEW.created_at);
    END IF;
    RETURN NULL;
END
$$;

-- Cloned onto every partition, including those attached later.
CREATE TRIGGER orders_keep_ids_and_ports
    AFTER INSERT OR UPDATE OF state, device_id, port, tenant_id, idempotency_key
    ON charging.orders
    FOR EACH ROW EXECUTE FUNCTION charging.orders_keep_ids_and_ports();

-- The months that hold rows, and this month and the next two.
DO $$
DECLARE
    m timestamptz;
BEGIN
    FOR m IN
        SELECT DISTINCT date_trunc('month', created_at, 'UTC') FROM charging.orders_unpartitioned
        UNION
        SELECT date_trunc('month', now(), 'UTC') + make_interval(months => k)
        FROM generate_series(0, 2) AS k
    LOOP
        EXECUTE format(
            'CREATE TABLE charging.%I PARTITION OF charging.orders FOR VALUES FROM (%L) TO (%L)',
            'orders_' || to_char(m AT TIME ZONE 'UTC', 'YYYY_MM'),
            m,
            (m AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC'
        );
    END LOOP;
END
$$;

INSERT INTO charging.orders (id, tenant_id, user_id, device_id, port, node_path, protocol, state,
    limit_kind, limit_value, hold_fen, hold_id, device_order_ref, tariff_id, tariff_version,
    started_at, ended_at, energy_wh, duration_secs, max_power_dw, end_reason,
    device_amount_fen, amount_fen, bill_id, last_meter_wh, last_meter_at, last_power_dw,
    deadline, failure, idempotency_key, created_at, updated_at)
SELECT id, tenant_id, user_id, device_id, port, node_path, protocol, state,
    limit_kind, limit_value, hold_fen, hold_id, device_order_ref, tariff_id, tariff_version,
    started_at, ended_at, energy_wh, duration_secs, max_power_dw, end_reason,
    device_amount_fen, amount_fen, bill_id, last_meter_wh, last_meter_at, last_power_dw,
    deadline, failure, idempotency_key, created_at, updated_at
FROM charging.orders_unpartitioned;

DROP TABLE charging.orders_unpartitioned;

-- Every history row has its order (the old foreign key saw to it).
ALTER TABLE charging.order_transitions
    ADD CONSTRAINT order_transitions_order_id_fkey FOREIGN KEY (order_id)
    REFERENCES charging.order_ids (order_id) ON DELETE CASCADE;
