-- The asset registry (docs/charging.md "Registry"): sites, device models, devices,
-- their ports and the QR codes stuck on them. Every row carries its tenant; a site and
-- a device carry the organization path their permissions are checked at.

CREATE TABLE charging.sites (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
    -- The identity organization node (kind site) this site is, and its path
    -- `/<tenant>/<region>/<site>/`: RBAC grants cover it by prefix.
    org_node_id text NOT NULL,
    node_path text NOT NULL,
    name text NOT NULL,
    address text NOT NULL DEFAULT '',
    -- WGS-84 in micro-degrees (integers: exact, comparable, no float rounding in SQL).
    lat_e6 integer CHECK (lat_e6 BETWEEN -90000000 AND 90000000),
    lng_e6 integer CHECK (lng_e6 BETWEEN -180000000 AND 180000000),
    opening_hours text NOT NULL DEFAULT '',
    photo_url text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT sites_org_node_key UNIQUE (tenant_id, org_node_id)
);
CREATE INDEX sites_tenant_path ON charging.sites (tenant_id, node_path);

CREATE TABLE charging.device_models (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
    name text NOT NULL,
    protocol text NOT NULL CHECK (protocol IN ('dny', 'gn')),
    port_count smallint NOT NULL CHECK (port_count BETWEEN 0 AND 16),
    max_power_w integer NOT NULL CHECK (max_power_w > 0),
    created_at timestamptz NOT NULL,
    CONSTRAINT device_models_name_key UNIQUE (tenant_id, name)
);

CREATE TABLE charging.devices (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
    -- Canonical id (docs/protocols.md); globally unique because it is the key of the
    -- gateway's `device_registry` and of device event subjects.
    device_id text NOT NULL,
    protocol text NOT NULL CHECK (protocol IN ('dny', 'gn')),
    -- pile (DNY), gateway (GN, fronts sockets), socket (GN).
    kind text NOT NULL CHECK (kind IN ('pile', 'gateway', 'socket')),
    gateway_id text,
    socket_no smallint,
    mac text,
    uid text,
    model_id uuid REFERENCES charging.device_models (id),
    site_id uuid REFERENCES charging.sites (id),
    -- The site's path, or the tenant root while unbound.
    node_path text NOT NULL,
    status text NOT NULL CHECK (status IN ('active', 'disabled', 'maintenance')),
    port_count smallint NOT NULL,
    -- GN sockets: the last ManageNodes push to the gateway.
    provisioned_at timestamptz,
    provision_error text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT devices_device_id_key UNIQUE (device_id),
    CHECK ((kind = 'socket') = (gateway_id IS NOT NULL AND socket_no IS NOT NULL))
);
CREATE INDEX devices_tenant_path ON charging.devices (tenant_id, node_path);
CREATE INDEX devices_site ON charging.devices (site_id);
CREATE INDEX devices_gateway ON charging.devices (gateway_id) WHERE gateway_id IS NOT NULL;
-- Operators find a socket by the UID printed on its sticker.
CREATE UNIQUE INDEX devices_uid_key ON charging.devices (tenant_id, uid) WHERE uid IS NOT NULL;

CREATE TABLE charging.ports (
    device_id uuid NOT NULL REFERENCES charging.devices (id) ON DELETE CASCADE,
    tenant_id uuid NOT NULL,
    -- 1-based, as in device events (GN: 1 = A, 2 = B).
    number smallint NOT NULL CHECK (number >= 1),
    PRIMARY KEY (device_id, number)
);

CREATE TABLE charging.qr_codes (
    -- The code in `https://<host>/q/<code>`.
    code text PRIMARY KEY,
    tenant_id uuid NOT NULL,
    device_id uuid NOT NULL,
    port smallint NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT qr_codes_port_key UNIQUE (device_id, port),
    FOREIGN KEY (device_id, port) REFERENCES charging.ports (device_id, number) ON DELETE CASCADE
);
