#!/usr/bin/env bash
# `make run`: starts `pylon run all` in the foreground, waits until every service is
# ready and prints where to look. Ctrl-C (or SIGTERM) stops it gracefully.
set -euo pipefail

PYLON_BIN="${PYLON_BIN:-target/debug/pylon}"
HTTP="${PYLON_HTTP__LISTEN:-0.0.0.0:8080}"
PORT="${HTTP##*:}"
export PYLON_GRPC__LISTEN="${PYLON_GRPC__LISTEN:-0.0.0.0:50051}"
export PYLON_TELEMETRY__LOG_FORMAT="${PYLON_TELEMETRY__LOG_FORMAT:-pretty}"
# Development: one-time SMS codes are written to the log instead of being sent.
export PYLON_IDENTITY__LOG_CODES="${PYLON_IDENTITY__LOG_CODES:-true}"
# The demo operator's administrator. A fixed password for the local demo only; set
# PYLON_ADMIN_PASSWORD to choose another (it applies when the admin is first created).
export PYLON_ADMIN_PASSWORD="${PYLON_ADMIN_PASSWORD:-pylon-demo-2026}"
TENANT=demo
ADMIN=admin@pylon.local
PYLON_TELEMETRY__LOG_FILTER=warn "$PYLON_BIN" admin bootstrap --tenant-code "$TENANT" --email "$ADMIN" >/dev/null

"$PYLON_BIN" run all &
pid=$!
sim_pid=""
demo_pid=""
trap 'kill -TERM $demo_pid $sim_pid "$pid" 2>/dev/null; wait "$pid"; exit 0' INT TERM

for _ in $(seq 1 120); do
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid"
        exit $?
    fi
    if curl -fsS "http://127.0.0.1:${PORT}/readyz" >/dev/null 2>&1; then
        # The demo fleet: simulated piles on the device port, at 60x speed, swiping cards.
        DEVICE_PORT="${PYLON_GATEWAY__DEVICE_LISTEN:-0.0.0.0:7054}"
        PYLON_TELEMETRY__LOG_FILTER=warn "$PYLON_BIN" sim --dny "${DEMO_DNY:-5}" --gn "${DEMO_GN:-2}" \
            --target "127.0.0.1:${DEVICE_PORT##*:}" --profile demo --speed 60 --summary-every 60 &
        sim_pid=$!
        # Simulated drivers: site, devices, tariff and wallets set up through the APIs,
        # then orders started and stopped continuously.
        PYLON_TELEMETRY__LOG_FILTER=warn "$PYLON_BIN" demo --base-url "http://127.0.0.1:${PORT}" \
            --tenant "$TENANT" --email "$ADMIN" --dny "${DEMO_DNY:-5}" --drivers "${DEMO_DRIVERS:-3}" &
        demo_pid=$!
        cat <<BANNER

  Pylon is running — 全部服务已就绪 (all services ready)

    REST API     http://localhost:${PORT}/api/v1/…   (e.g. /api/v1/charging/info)
    Login        operator ${TENANT}, ${ADMIN}, password ${PYLON_ADMIN_PASSWORD}
                 curl -s -X POST localhost:${PORT}/api/v1/auth/login -H 'content-type: application/json' -d '{"tenant":"${TENANT}","identifier":"${ADMIN}","password":"${PYLON_ADMIN_PASSWORD}"}'
    Readiness    http://localhost:${PORT}/readyz
    Metrics      http://localhost:${PORT}/metrics
    gRPC         localhost:${PYLON_GRPC__LISTEN##*:} (reflection on; try grpcurl -plaintext localhost:50051 list)
    Demo fleet   ${DEMO_DNY:-5} DNY piles and ${DEMO_GN:-2} GN gateways (simulated) on device port ${DEVICE_PORT##*:};
                 their events: pylon.device.> on NATS, frames: pylon.raw.> (pylon decode explains one)
    Demo drivers ${DEMO_DRIVERS:-3} simulated drivers scan, pay, charge and settle continuously;
                 their orders: GET /api/v1/charging/me/orders (driver0@demo.pylon.local, Demo-driver-2026),
                 events: pylon.charging.> on NATS

  Stop with Ctrl-C.

BANNER
        break
    fi
    sleep 0.5
done
wait "$pid"
status=$?
# pylon stopped on its own: take the demo fleet down with it.
[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null
[ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null
exit $status
