-- An entry written in one statement on balances read before it (app/post.rs,
-- `write_unlocked`): the statement claims the key, moves each account only if its
-- balance is still the one read, and writes the caller's own row (a hold, or its
-- settlement) only if that row is still as read. This function, called once in the
-- statement after those parts, says whether the rest (postings, events) goes ahead:
-- false when the key was claimed before (nothing was written; the caller takes the
-- locked path, which answers a replay), true when every part applied, and an error —
-- rolling the whole statement back, claim included — when the key was new but an
-- account or the caller's row had moved (the caller retries under locks).
CREATE FUNCTION entry_applied(claimed bigint, moved bigint, accounts integer, rows bigint)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF claimed = 0 THEN
        RETURN false;
    END IF;
    IF moved <> accounts OR rows <> 1 THEN
        RAISE EXCEPTION 'an account or the entry''s row moved since it was read'
            USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN true;
END $$;
