-- Orders leave a fifth of each page free. A pile's meter sample rewrites its live
-- order every few minutes (last_meter_wh, last_meter_at, last_power_dw, max_power_dw,
-- updated_at: no index covers them), and PostgreSQL can then write the new row version
-- beside the old one without touching any of the table's eight indexes (a HOT update)
-- only if that page has room; on pages packed full by inserts every sample went to
-- another page and into every index. Transitions change indexed columns (state,
-- deadline) and still update the indexes, but their new versions also stay on the page.
-- A partitioned table has no storage of its own: the setting is per partition, and
-- `orders/store/partitions.rs` gives it to every month it creates.
DO $$
DECLARE
    part regclass;
BEGIN
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits
                WHERE inhparent = 'charging.orders'::regclass
    LOOP
        EXECUTE format('ALTER TABLE %s SET (fillfactor = 80)', part);
    END LOOP;
END
$$;
