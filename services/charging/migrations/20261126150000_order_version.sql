-- An order's version: every transition (and the settlement recorded without one) adds 1.
-- A transition decided on a read of version N is written only if the order is still at
-- N, so transitions need no row lock held across the decision (orders/app/transition.rs).
-- Meter samples do not count: they touch none of a transition's columns.
ALTER TABLE charging.orders ADD COLUMN version integer NOT NULL DEFAULT 0;
