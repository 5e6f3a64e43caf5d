-- `orders_keep_ids_and_ports` ran its PL/pgSQL body on every state change, though most
-- changes (authorized → starting → charging → stopping) neither end a live order nor
-- move it. The update trigger now fires only when the body has something to do:
-- liveness flips, the port changes, or the idempotency key changes. Inserts always do.
DROP TRIGGER orders_keep_ids_and_ports ON charging.orders;

CREATE TRIGGER orders_keep_ids_and_ports_insert
    AFTER INSERT ON charging.orders
    FOR EACH ROW EXECUTE FUNCTION charging.orders_keep_ids_and_ports();

CREATE TRIGGER orders_keep_ids_and_ports_update
    AFTER UPDATE OF state, device_id, port, tenant_id, idempotency_key ON charging.orders
    FOR EACH ROW
    WHEN (charging.order_is_live(OLD.state) IS DISTINCT FROM charging.order_is_live(NEW.state)
          OR OLD.device_id IS DISTINCT FROM NEW.device_id
          OR OLD.port IS DISTINCT FROM NEW.port
          OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id
          OR OLD.idempotency_key IS DISTINCT FROM NEW.idempotency_key)
    EXECUTE FUNCTION charging.orders_keep_ids_and_ports();
