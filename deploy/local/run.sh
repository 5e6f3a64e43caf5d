#!/usr/bin/env bash
# `make run`: starts `pylon run all` in the foreground, waits until every service is
# ready and prints where to look. Ctrl-C (or SIGTERM) stops it gracefully.
set -euo pipefail

PYLON_BIN="${PYLON_BIN:-target/debug/pylon}"
HTTP="${PYLON_HTTP__LISTEN:-0.0.0.0:8080}"
PORT="${HTTP##*:}"
export PYLON_GRPC__LISTEN="${PYLON_GRPC__LISTEN:-0.0.0.0:50051}"
export PYLON_TELEMETRY__LOG_FORMAT="${PYLON_TELEMETRY__LOG_FORMAT:-pretty}"

"$PYLON_BIN" run all &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit 0' INT TERM

for _ in $(seq 1 120); do
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid"
        exit $?
    fi
    if curl -fsS "http://127.0.0.1:${PORT}/readyz" >/dev/null 2>&1; then
        cat <<BANNER

  Pylon is running — 全部服务已就绪 (all services ready)

    REST API     http://localhost:${PORT}/api/v1/…   (e.g. /api/v1/charging/info)
    Readiness    http://localhost:${PORT}/readyz
    Metrics      http://localhost:${PORT}/metrics
    gRPC         localhost:${PYLON_GRPC__LISTEN##*:} (reflection on; try grpcurl -plaintext localhost:50051 list)

  Stop with Ctrl-C.

BANNER
        break
    fi
    sleep 0.5
done
wait "$pid"
