-- Billing: tariffs and their versions, tariff assignments to organization nodes, bills
-- with their line items, and e-invoice requests. Money in integer fen. Every business
-- row carries tenant_id; every query filters on it.

-- A tariff is a name; what it charges lives in its versions. `node_path` is the
-- organization node that owns it (the tenant root unless created lower down): RBAC
-- checks run there, and it may be assigned only within that node's subtree.
CREATE TABLE tariffs (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    node_path    text NOT NULL,
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name),
    -- (tenant_id, id) is the key bills and assignments reference, so a row of one
    -- tenant can never point at another tenant's tariff.
    UNIQUE (tenant_id, id)
);
CREATE INDEX tariffs_path ON tariffs (tenant_id, node_path text_pattern_ops);

-- Versions are never changed or deleted: bills reference them. The version in effect
-- at an instant is the highest-numbered one whose effective_from is not after it, so a
-- newer version supersedes every older one from its effective_from on.
CREATE TABLE tariff_versions (
    tenant_id       uuid NOT NULL,
    tariff_id       uuid NOT NULL,
    version         integer NOT NULL CHECK (version >= 1),
    effective_from  timestamptz NOT NULL,
    -- pricing::Tariff as JSON, checked by Tariff::validate() before it is stored.
    body            jsonb NOT NULL,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, tariff_id, version),
    FOREIGN KEY (tenant_id, tariff_id) REFERENCES tariffs (tenant_id, id)
);

CREATE FUNCTION tariff_versions_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'tariff versions are never changed; add a new version';
END $$;
CREATE TRIGGER tariff_versions_no_update BEFORE UPDATE OR DELETE ON tariff_versions
    FOR EACH ROW EXECUTE FUNCTION tariff_versions_immutable();

-- Which tariff applies below a node. One per node; the assignment with the longest
-- path that is a prefix of a site's path wins ("the nearest one"). Re-assigning a node
-- replaces its row.
CREATE TABLE assignments (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    node_path    text NOT NULL,
    tariff_id    uuid NOT NULL,
    assigned_by  text NOT NULL,
    assigned_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, node_path),
    FOREIGN KEY (tenant_id, tariff_id) REFERENCES tariffs (tenant_id, id)
);

-- One bill per charging order, rated with the tariff version the order started with.
CREATE TABLE bills (
    id                   uuid PRIMARY KEY,
    tenant_id            uuid NOT NULL,
    order_ref            text NOT NULL,
    -- The site of the session (the tenant root when the caller did not say).
    node_path            text NOT NULL,
    -- The identity user who pays, when known: they may request the invoice.
    payer_id             text,
    tariff_id            uuid NOT NULL,
    tariff_version       integer NOT NULL,
    -- pricing::SessionFacts as rated, so the bill can be re-computed and checked.
    facts                jsonb NOT NULL,
    session_start        timestamptz NOT NULL,
    session_end          timestamptz NOT NULL,
    total_fen            bigint NOT NULL,
    currency             text NOT NULL,
    -- What the pile computed, and total_fen − that; flagged beyond tolerance_fen.
    device_reported_fen  bigint,
    difference_fen       bigint NOT NULL DEFAULT 0,
    tolerance_fen        bigint NOT NULL DEFAULT 0 CHECK (tolerance_fen >= 0),
    flagged              boolean NOT NULL DEFAULT false,
    issued_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, order_ref),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, tariff_id, tariff_version)
        REFERENCES tariff_versions (tenant_id, tariff_id, version),
    CHECK (device_reported_fen IS NOT NULL OR (difference_fen = 0 AND NOT flagged))
);
CREATE INDEX bills_issued ON bills (tenant_id, issued_at DESC);
CREATE INDEX bills_payer ON bills (tenant_id, payer_id, issued_at DESC) WHERE payer_id IS NOT NULL;
CREATE INDEX bills_flagged ON bills (tenant_id, issued_at DESC) WHERE flagged;

-- The bill's lines in order. `item` is the line exactly as the engine produced it
-- (pricing::LineItem as JSON); the columns beside it exist for reports and filters.
CREATE TABLE bill_items (
    tenant_id   uuid NOT NULL,
    bill_id     uuid NOT NULL,
    position    integer NOT NULL CHECK (position >= 0),
    component   text NOT NULL,
    period      text,
    amount_fen  bigint NOT NULL,
    item        jsonb NOT NULL,
    PRIMARY KEY (tenant_id, bill_id, position),
    FOREIGN KEY (tenant_id, bill_id) REFERENCES bills (tenant_id, id)
);

-- An e-invoice (电子发票) request for one or more bills, kept for finance to export to
-- the tax system. `node_path` is the deepest node containing every bill's site: staff
-- see requests within their scope.
CREATE TABLE invoice_requests (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL,
    node_path     text NOT NULL,
    requested_by  text NOT NULL,
    -- 'personal' (个人: a name, no tax id) or 'company' (单位: a tax id is required).
    title_kind    text NOT NULL CHECK (title_kind IN ('personal', 'company')),
    title         text NOT NULL,
    tax_id        text,
    email         text NOT NULL,
    total_fen     bigint NOT NULL CHECK (total_fen > 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    CHECK (title_kind = 'personal' OR tax_id IS NOT NULL)
);
CREATE INDEX invoice_requests_created ON invoice_requests (tenant_id, created_at DESC);
CREATE INDEX invoice_requests_requester ON invoice_requests (tenant_id, requested_by, created_at DESC);

-- A bill is invoiced at most once.
CREATE TABLE invoice_request_bills (
    tenant_id   uuid NOT NULL,
    request_id  uuid NOT NULL,
    bill_id     uuid NOT NULL,
    amount_fen  bigint NOT NULL,
    PRIMARY KEY (tenant_id, request_id, bill_id),
    UNIQUE (tenant_id, bill_id),
    FOREIGN KEY (tenant_id, request_id) REFERENCES invoice_requests (tenant_id, id),
    FOREIGN KEY (tenant_id, bill_id) REFERENCES bills (tenant_id, id)
);
