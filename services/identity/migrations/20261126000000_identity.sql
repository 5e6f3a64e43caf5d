-- Identity: tenants, the organization tree, users, roles and grants, sessions,
-- one-time codes, signing keys, third-party apps and the audit log.
-- Every business row carries tenant_id; every query filters on it.

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    disabled    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The operator node has the tenant's id and no parent. `path` is `/<tenant>/…/<id>/`:
-- a grant on a node covers every row whose path starts with the node's path.
CREATE TABLE org_nodes (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    parent_id   uuid REFERENCES org_nodes (id),
    kind        text NOT NULL CHECK (kind IN ('operator', 'region', 'site')),
    name        text NOT NULL,
    path        text NOT NULL,
    disabled    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'operator') = (parent_id IS NULL))
);
CREATE UNIQUE INDEX org_nodes_path ON org_nodes (path text_pattern_ops);
CREATE INDEX org_nodes_tenant_parent ON org_nodes (tenant_id, parent_id);

CREATE TABLE users (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    node_id         uuid NOT NULL REFERENCES org_nodes (id),
    kind            text NOT NULL CHECK (kind IN ('staff', 'driver')),
    display_name    text NOT NULL,
    phone           text,
    email           text,
    password_hash   text,
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    failed_logins   integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    last_login_at   timestamptz,
    CHECK (phone IS NOT NULL OR email IS NOT NULL)
);
CREATE UNIQUE INDEX users_tenant_phone ON users (tenant_id, phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, email) WHERE email IS NOT NULL;
CREATE INDEX users_tenant_created ON users (tenant_id, created_at DESC);

-- Custom roles of a tenant; built-in roles live in code.
CREATE TABLE roles (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    permissions  text[] NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);

CREATE TABLE role_grants (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    user_id     uuid NOT NULL REFERENCES users (id),
    role        text NOT NULL,
    node_id     uuid NOT NULL REFERENCES org_nodes (id),
    granted_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, role, node_id)
);
CREATE INDEX role_grants_tenant_role ON role_grants (tenant_id, role);

-- Refresh tokens, stored as SHA-256 of the token. A refresh rotates: the used row gets
-- rotated_at and a child in the same family is issued. Presenting a rotated token again
-- revokes the whole family.
CREATE TABLE refresh_tokens (
    id            uuid PRIMARY KEY,
    family_id     uuid NOT NULL,
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    user_id       uuid NOT NULL REFERENCES users (id),
    token_hash    bytea NOT NULL UNIQUE,
    issued_at     timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    rotated_at    timestamptz,
    revoked_at    timestamptz,
    revoke_reason text
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id) WHERE revoked_at IS NULL;

-- One-time codes sent by SMS, stored hashed.
CREATE TABLE one_time_codes (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    phone        text NOT NULL,
    purpose      text NOT NULL CHECK (purpose IN ('login', 'register', 'reset')),
    code_hash    bytea NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    consumed_at  timestamptz
);
CREATE INDEX one_time_codes_lookup ON one_time_codes (tenant_id, phone, purpose, created_at DESC);

-- Ed25519 signing keys (PKCS#8). The newest unretired key signs; retired keys stay in
-- the JWKS until every token they signed has expired.
CREATE TABLE signing_keys (
    kid          text PRIMARY KEY,
    private_der  bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    retired_at   timestamptz
);

CREATE TABLE apps (
    id          text PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    node_id     uuid NOT NULL REFERENCES org_nodes (id),
    name        text NOT NULL,
    secret      text NOT NULL,
    scopes      text[] NOT NULL,
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    rotated_at  timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX apps_tenant ON apps (tenant_id, created_at DESC);

CREATE TABLE audit_logs (
    id           uuid PRIMARY KEY,
    tenant_id    uuid,
    actor_id     text,
    actor_kind   text,
    action       text NOT NULL,
    target       text NOT NULL,
    result       text NOT NULL CHECK (result IN ('ok', 'denied', 'failed', 'error')),
    status       integer NOT NULL,
    ip           text,
    request_id   text,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_logs_tenant_at ON audit_logs (tenant_id, at DESC);
CREATE INDEX audit_logs_actor_at ON audit_logs (actor_id, at DESC);
