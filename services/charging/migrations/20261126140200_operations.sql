-- Remote operations and OTA campaigns (docs/charging.md "Remote operations and OTA").

-- The audit of every remote operation (reboot, parameters, voice, each firmware
-- upgrade a campaign sends) and of every campaign change. A device operation is
-- written `sent` before the command leaves and completed `done` after, so a crash in
-- between leaves a visible "sent, outcome unknown" row.
CREATE TABLE charging.device_operations (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    -- Who: a user or an app (their id, roles from the token), or a campaign's runner.
    actor_kind   text NOT NULL CHECK (actor_kind IN ('user', 'app', 'campaign')),
    actor_id     text NOT NULL,
    actor_roles  text[] NOT NULL DEFAULT '{}',
    -- What it touched: a device, a campaign, or both (a campaign's upgrade).
    device_id    text,
    campaign_id  uuid,
    -- Where it is authorized and listed: the device's node, or the campaign's scope.
    node_path    text NOT NULL,
    action       text NOT NULL,
    request      jsonb NOT NULL DEFAULT '{}',
    status       text NOT NULL CHECK (status IN ('sent', 'done')),
    -- ok, sent, rejected, timeout, device_offline, busy, invalid, unreachable;
    -- for a DNY transfer the end: completed, transfer_rejected, …
    outcome      text,
    device_code  integer,
    detail       text NOT NULL DEFAULT '',
    -- What the device answered (parameters read).
    result       jsonb,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    CHECK ((status = 'done') = (finished_at IS NOT NULL))
);
CREATE INDEX device_operations_tenant_time ON charging.device_operations (tenant_id, started_at DESC);
CREATE INDEX device_operations_device ON charging.device_operations (device_id, started_at DESC)
    WHERE device_id IS NOT NULL;
CREATE INDEX device_operations_campaign ON charging.device_operations (campaign_id, started_at DESC)
    WHERE campaign_id IS NOT NULL;

-- DNY firmware images, uploaded once and referenced by campaigns (≤ 960 KiB: what the
-- gateway's Upgrade accepts).
CREATE TABLE charging.firmware_images (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    name         text NOT NULL,
    size_bytes   integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 983040),
    -- The byte sum a DNY check packet announces; lets people compare images.
    byte_sum     bigint NOT NULL,
    image        bytea NOT NULL,
    uploaded_by  text NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX firmware_images_tenant ON charging.firmware_images (tenant_id, created_at DESC);

CREATE TABLE charging.ota_campaigns (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL,
    name              text NOT NULL,
    protocol          text NOT NULL CHECK (protocol IN ('dny', 'gn')),
    -- DNY: the image and how the gateway sends it.
    firmware_id       uuid REFERENCES charging.firmware_images (id),
    dny_kind          text,
    check_device_type integer,
    check_version     integer,
    -- GN: where the gateway downloads from.
    ftp_host          text,
    ftp_port          integer,
    ftp_file          text,
    CHECK ((protocol = 'dny') = (firmware_id IS NOT NULL)),
    CHECK ((protocol = 'gn') = (ftp_host IS NOT NULL AND ftp_port IS NOT NULL AND ftp_file IS NOT NULL)),
    -- The selection as asked (device ids, node, model), for people.
    targets           jsonb NOT NULL,
    -- The deepest node containing every target: lists filter on it.
    scope_path        text NOT NULL,
    -- Cumulative percentages of the targets, ascending, the last 100.
    stages            smallint[] NOT NULL,
    -- The open stage (0-based): devices of stages ≤ it may be sent.
    stage             smallint NOT NULL DEFAULT 0,
    -- Open the next stage by itself once the open one is finished with at least this
    -- share (%) of its devices succeeded; NULL: only the operator advances.
    auto_advance_pct  smallint CHECK (auto_advance_pct BETWEEN 1 AND 100),
    concurrency       integer NOT NULL CHECK (concurrency BETWEEN 1 AND 1000),
    max_attempts      integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 20),
    retry_after_secs  integer NOT NULL CHECK (retry_after_secs BETWEEN 1 AND 86400),
    state             text NOT NULL CHECK (state IN ('running', 'paused', 'completed', 'aborted')),
    created_by        text NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    finished_at       timestamptz
);
CREATE INDEX ota_campaigns_tenant ON charging.ota_campaigns (tenant_id, created_at DESC);
CREATE INDEX ota_campaigns_running ON charging.ota_campaigns (state) WHERE state = 'running';

CREATE TABLE charging.ota_campaign_devices (
    campaign_id     uuid NOT NULL REFERENCES charging.ota_campaigns (id) ON DELETE CASCADE,
    device_id       text NOT NULL,
    tenant_id       uuid NOT NULL,
    node_path       text NOT NULL,
    -- Order within the campaign (device id order) and the stage that rank falls in.
    rank            integer NOT NULL,
    stage           smallint NOT NULL,
    state           text NOT NULL CHECK (state IN ('pending', 'sending', 'succeeded', 'failed', 'aborted')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    -- From FirmwareProgress: the last packet the pile accepted, and the total.
    packets_done    integer NOT NULL DEFAULT 0,
    packets_total   integer NOT NULL DEFAULT 0,
    -- The audit row of the current (or last) attempt.
    operation_id    uuid,
    reason          text NOT NULL DEFAULT '',
    sent_at         timestamptz,
    finished_at     timestamptz,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (campaign_id, device_id)
);
CREATE INDEX ota_campaign_devices_work ON charging.ota_campaign_devices (campaign_id, state, stage, rank);
-- One transfer per device at a time, across campaigns; progress events find it by device.
CREATE UNIQUE INDEX ota_campaign_devices_sending ON charging.ota_campaign_devices (device_id)
    WHERE state = 'sending';
