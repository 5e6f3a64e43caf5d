-- Live state of piles (a read model of the gateway's device events on PYLON_DEVICE) and
-- card decisions. Device rows are keyed by the canonical device id alone: a device is
-- one physical pile whatever tenant token its events carry; `tenant` is the token of
-- its newest event (`_` while unassigned). Every `*_at` column is the device's own
-- instant of the fact that set the columns next to it: a fact older than that is not
-- applied (events arrive out of order), see live/domain/.

CREATE TABLE live_devices (
    device_id       text PRIMARY KEY,
    tenant          text NOT NULL,
    protocol        text NOT NULL DEFAULT '',
    gateway_id      text NOT NULL DEFAULT '',
    online          boolean NOT NULL,
    online_at       timestamptz NOT NULL,
    last_seen       timestamptz NOT NULL,
    offline_reason  text NOT NULL DEFAULT '',
    -- From the newest heartbeat; NULL before the first.
    signal          integer,
    firmware        text,
    iccid           text,
    port_count      integer,
    heartbeat_at    timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX live_devices_tenant ON live_devices (tenant, device_id);

CREATE TABLE live_ports (
    device_id     text NOT NULL REFERENCES live_devices (device_id),
    port          integer NOT NULL CHECK (port >= 1),
    state         text NOT NULL
                  CHECK (state IN ('unknown', 'idle', 'charging', 'full', 'fault', 'offline', 'occupied')),
    raw_status    bigint NOT NULL DEFAULT 0,
    state_at      timestamptz,
    state_since   timestamptz,
    -- The charge the device reports on this port (empty order_ref / NULL meter: none).
    order_ref     text NOT NULL DEFAULT '',
    power_dw      bigint,
    voltage_dv    bigint,
    current_ma    bigint,
    energy_wh     bigint,
    elapsed_secs  bigint,
    meter_at      timestamptz,
    charge_at     timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, port)
);
-- The stuck-port scan reads only charging ports.
CREATE INDEX live_ports_charging ON live_ports (device_id) WHERE state = 'charging';

-- The newest alarm per device (port 0 = the whole device).
CREATE TABLE live_alarms (
    device_id   text PRIMARY KEY REFERENCES live_devices (device_id),
    port        integer NOT NULL,
    kind        text NOT NULL,
    raw_code    bigint NOT NULL,
    detail      text NOT NULL DEFAULT '',
    raised_at   timestamptz NOT NULL
);

-- Cards bound to a wallet owner of an operator. card_no is what the gateway sends:
-- lowercase hex, 8 digits (DNY card id) or 12 (GN card number).
CREATE TABLE cards (
    tenant_id   uuid NOT NULL,
    card_no     text NOT NULL CHECK (card_no ~ '^([0-9a-f]{8}|[0-9a-f]{12})$'),
    -- The wallet the card charges (payment's WalletOwner): a driver or an org node.
    owner_kind  text NOT NULL CHECK (owner_kind IN ('user', 'org')),
    owner_id    uuid NOT NULL,
    status      text NOT NULL CHECK (status IN ('active', 'blocked')),
    label       text NOT NULL DEFAULT '',
    bound_by    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, card_no)
);
CREATE INDEX cards_owner ON cards (tenant_id, owner_kind, owner_id);

-- Approved swipes at a port (port 0, a balance query, is never recorded). The orders
-- capability turns one into an order and sets picked_at; an unpicked row is a swipe
-- no order came of.
CREATE TABLE card_authorizations (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL,
    device_id      text NOT NULL,
    port           integer NOT NULL CHECK (port >= 1),
    card_no        text NOT NULL,
    owner_kind     text NOT NULL,
    owner_id       uuid NOT NULL,
    balance_fen    bigint NOT NULL,
    authorized_at  timestamptz NOT NULL,
    picked_at      timestamptz
);
CREATE INDEX card_authorizations_open
    ON card_authorizations (device_id, port, authorized_at) WHERE picked_at IS NULL;
