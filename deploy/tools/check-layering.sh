#!/usr/bin/env bash
# Mechanical checks of the house rules (DESIGN §3) that the compiler does not enforce:
#  - no service crate depends on another service crate (they talk over NATS and gRPC);
#  - plumbing crates (proto, bus, runtime) depend on no service crate;
#  - codec and pricing crates stay pure: no tokio, sockets, SQL, NATS;
#  - `domain/` modules import no I/O crates.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo metadata --format-version 1 --no-deps --locked | python3 -c '
import json, sys
meta = json.load(sys.stdin)
services = {"pylon-gateway", "pylon-identity", "pylon-charging", "pylon-billing",
            "pylon-payment", "pylon-notification", "pylon-analytics"}
plumbing = {"pylon-proto", "pylon-bus", "pylon-runtime"}
io_crates = {"tokio", "async-nats", "sqlx", "tonic", "axum", "hyper", "reqwest", "clickhouse", "mio"}
problems = []
for p in meta["packages"]:
    deps = {d["name"] for d in p["dependencies"] if d.get("kind") is None}
    name = p["name"]
    if name in services and deps & services:
        problems.append(f"{name} depends on service crate(s) {sorted(deps & services)}")
    if name in plumbing and deps & services:
        problems.append(f"{name} (plumbing) depends on service crate(s) {sorted(deps & services)}")
    if (name.startswith("codec-") or name == "pylon-pricing") and deps & io_crates:
        problems.append(f"{name} must stay pure but depends on {sorted(deps & io_crates)}")
for msg in problems:
    print("layering:", msg)
sys.exit(1 if problems else 0)
'

# domain/ modules: pure logic only.
if bad=$(grep -rnE '^\s*use (tokio|sqlx|tonic|async_nats|axum|reqwest|clickhouse)\b' services/*/src/domain 2>/dev/null); then
    echo "layering: a domain/ module imports an I/O crate:"
    echo "$bad"
    exit 1
fi
echo "layering: ok"
