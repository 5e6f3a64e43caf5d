#!/usr/bin/env bash
# Installs the build and test prerequisites a fresh Debian machine may lack. Rust itself
# comes from rustup and is expected on PATH. Idempotent: installs only what is missing.
set -euo pipefail

need=()
command -v cc >/dev/null || need+=(gcc)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
# Tests start private nats-server processes (never the shared one) to fault-inject.
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || need+=(nats-server)

if ! command -v cargo >/dev/null; then
    echo "deps: cargo is not on PATH; install Rust with rustup (https://rustup.rs), then retry" >&2
    exit 1
fi
if [ ${#need[@]} -gt 0 ]; then
    echo "deps: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q "${need[@]}" >/dev/null 2>&1; then
        apt-get update -q >/dev/null 2>&1 || true
        apt-get install -y -q "${need[@]}" >/dev/null || {
            echo "deps: apt-get install ${need[*]} failed" >&2
            exit 1
        }
    fi
fi
