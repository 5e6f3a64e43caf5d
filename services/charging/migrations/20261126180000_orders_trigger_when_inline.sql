-- The update trigger's WHEN clause called `charging.order_is_live`, a SQL function.
-- PostgreSQL prepares a trigger's WHEN clause afresh for every statement that may fire
-- it, and preparing inlines the function — parsing and analysing its body's SQL text
-- twice (OLD and NEW) on every order transition (`pg_strtok` and `base_yyparse` in
-- PostgreSQL's profile under `pylon bench orders`). The same condition is written out
-- here: the live states are those of `order_is_live` and of `is_live` in
-- orders/domain/state.rs (created, authorized, starting, charging, stopping).
DROP TRIGGER orders_keep_ids_and_ports_update ON charging.orders;

CREATE TRIGGER orders_keep_ids_and_ports_update
    AFTER UPDATE OF state, device_id, port, tenant_id, idempotency_key ON charging.orders
    FOR EACH ROW
    WHEN ((OLD.state IN ('created', 'authorized', 'starting', 'charging', 'stopping'))
              IS DISTINCT FROM (NEW.state IN ('created', 'authorized', 'starting', 'charging', 'stopping'))
          OR OLD.device_id IS DISTINCT FROM NEW.device_id
          OR OLD.port IS DISTINCT FROM NEW.port
          OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id
          OR OLD.idempotency_key IS DISTINCT FROM NEW.idempotency_key)
    EXECUTE FUNCTION charging.orders_keep_ids_and_ports();
