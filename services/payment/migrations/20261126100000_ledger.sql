-- The payment ledger: double-entry accounts, journal entries whose postings always sum
-- to zero, and wallet holds. Money in integer fen. Postings are never changed: a
-- correction is a new entry.

-- An account's balance is the sum of its postings, kept here so it can be locked and
-- checked. Signs: a wallet's balance is what the platform owes its owner (positive =
-- money to spend); the provider clearing accounts go negative as money arrives.
CREATE TABLE accounts (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL,
    -- wallet: spendable; held: reserved by open holds of one wallet; clearing: money
    -- at a payment provider; revenue: what the operator earned; refund_pending:
    -- money on its way back to a payer.
    kind              text NOT NULL CHECK (kind IN ('wallet', 'held', 'clearing', 'revenue', 'refund_pending')),
    -- wallet/held: 'user' or 'org' and its id; clearing: 'provider' and the provider's
    -- name; revenue/refund_pending: 'tenant' and the tenant id.
    owner_kind        text NOT NULL,
    owner_key         text NOT NULL,
    balance_fen       bigint NOT NULL DEFAULT 0,
    credit_limit_fen  bigint NOT NULL DEFAULT 0 CHECK (credit_limit_fen >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, kind, owner_kind, owner_key),
    -- The ledger's promises, enforced by the database as well as the code.
    CHECK (kind <> 'wallet' OR balance_fen >= -credit_limit_fen),
    CHECK (kind NOT IN ('held', 'refund_pending') OR balance_fen >= 0)
);

CREATE TABLE journal_entries (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL,
    kind             text NOT NULL,
    -- What the entry is for (order ref, payment id, refund id …).
    reference        text NOT NULL,
    -- The caller's key: one entry per key and tenant; a replay returns this entry.
    idempotency_key  text NOT NULL,
    -- The request in canonical form, so a key reused for another request is refused.
    request          text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX journal_entries_reference ON journal_entries (tenant_id, reference);

CREATE TABLE postings (
    entry_id    uuid NOT NULL REFERENCES journal_entries (id),
    account_id  uuid NOT NULL REFERENCES accounts (id),
    amount_fen  bigint NOT NULL CHECK (amount_fen <> 0),
    PRIMARY KEY (entry_id, account_id)
);
CREATE INDEX postings_account ON postings (account_id, entry_id);

-- Checked at commit: every entry touched by the transaction sums to zero.
CREATE FUNCTION entry_balanced() RETURNS trigger
LANGUAGE plpgsql SET search_path = payment AS $$
BEGIN
    IF (SELECT COALESCE(SUM(amount_fen), 0) FROM postings WHERE entry_id = NEW.entry_id) <> 0 THEN
        RAISE EXCEPTION 'journal entry % does not balance', NEW.entry_id;
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER postings_balanced AFTER INSERT ON postings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION entry_balanced();

CREATE FUNCTION postings_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'postings are never changed; post a correcting entry';
END $$;
CREATE TRIGGER postings_no_update BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION postings_immutable();

-- Money reserved for an order: held → captured (the actual amount, the rest back to
-- the wallet) or released (all back).
CREATE TABLE holds (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL,
    wallet_id      uuid NOT NULL REFERENCES accounts (id),
    held_id        uuid NOT NULL REFERENCES accounts (id),
    order_ref      text NOT NULL,
    amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
    captured_fen   bigint NOT NULL DEFAULT 0 CHECK (captured_fen >= 0),
    released_fen   bigint NOT NULL DEFAULT 0 CHECK (released_fen >= 0),
    status         text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'captured', 'released')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    settled_at     timestamptz,
    CHECK (captured_fen + released_fen = CASE WHEN status = 'held' THEN 0 ELSE amount_fen END)
);
CREATE INDEX holds_order ON holds (tenant_id, order_ref);
