-- Revenue and clearing accounts are kept as shards (domain::ledger::AccountKind::shards):
-- every capture credits the operator's revenue and every payment passes the provider's
-- clearing account, so one row each made all of a tenant's captures queue on its lock.
-- Neither kind has a floor; an owner's balance of such a kind is the sum of its shards.
-- Kinds with a floor keep one account (shard 0), checked under its lock.
ALTER TABLE accounts ADD COLUMN shard smallint NOT NULL DEFAULT 0
    CHECK (shard >= 0 AND (shard = 0 OR kind IN ('revenue', 'clearing')));
ALTER TABLE accounts DROP CONSTRAINT accounts_tenant_id_kind_owner_kind_owner_key_key;
ALTER TABLE accounts ADD CONSTRAINT accounts_owner_shard_key
    UNIQUE (tenant_id, kind, owner_kind, owner_key, shard);
