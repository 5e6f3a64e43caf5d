#!/usr/bin/env bash
# Offline checks of the Helm chart: helm lint, helm template through
# kubernetes-validate and check-render.py, yamllint on the values, and negative cases
# that the values schema must reject. Tools come from install-lint-tools.sh.
#
#   bash deploy/tools/lint-chart.sh        # exits non-zero if any check fails
#
# KUBE_VERSION (default 1.30.0) is the Kubernetes version rendered and validated against.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
CHART=helm/pylon
TOOLS_DIR=deploy/tools
KUBE_VERSION="${KUBE_VERSION:-1.30.0}"

BIN="$(bash "$TOOLS_DIR/install-lint-tools.sh")"
export PATH="$BIN:$PATH"
PY="$BIN/../venv/bin/python"

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

failures=()
pass() { printf 'PASS  %s\n' "$1"; }
fail() { printf 'FAIL  %s\n' "$1"; failures+=("$1"); }
# run NAME CMD...: run a check, show its output only when it fails.
run() {
    local name="$1"; shift
    if "$@" >"$OUT/log" 2>&1; then pass "$name"; else cat "$OUT/log"; fail "$name"; fi
}

# 1. yamllint on the values files.
run "yamllint values" yamllint --strict -c "$TOOLS_DIR/yamllint.yaml" "$CHART/values.yaml" "$CHART"/ci/*.yaml \
    "$CHART/Chart.yaml"

# 2. helm lint --strict on the defaults and on every scenario.
run "helm lint --strict (defaults)" helm lint --strict "$CHART"
for f in "$CHART"/ci/*-values.yaml; do
    run "helm lint --strict ($(basename "$f"))" helm lint --strict "$CHART" -f "$f"
done

# The pylon binary, when one is built, checks that it accepts each rendered pylon.toml
# (its config is deny_unknown_fields + validate()); PYLON_BIN overrides the search.
PYLON_BIN="${PYLON_BIN:-}"
if [[ -z "$PYLON_BIN" ]]; then
    for b in target/release/pylon target/debug/pylon; do
        if [[ -x "$b" ]]; then PYLON_BIN="$b"; break; fi
    done
fi

# 3. Render each scenario; validate every object against the Kubernetes schemas and
#    check the chart's own promises. Scenario: values file | enabled services | flags.
all=gateway,identity,charging,billing,payment,notification,analytics
scenarios=(
    "|$all|--migrations"
    "$CHART/ci/full-values.yaml|$all|--migrations --service-monitor --existing-secret pylon-db"
    "$CHART/ci/minimal-values.yaml|gateway,identity,charging,billing|"
    "$CHART/ci/gateway-only-values.yaml|gateway|--migrations --existing-secret pylon-secrets-external"
)
for s in "${scenarios[@]}"; do
    IFS='|' read -r values services flags <<<"$s"
    label="${values:+$(basename "$values")}"; label="${label:-defaults}"
    render="$OUT/render-$label.yaml"
    args=(template pylon "$CHART" --namespace pylon --kube-version "$KUBE_VERSION")
    [[ -n "$values" ]] && args+=(-f "$values")
    if ! helm "${args[@]}" >"$render" 2>"$OUT/log"; then
        cat "$OUT/log"; fail "helm template ($label)"; continue
    fi
    pass "helm template ($label)"
    # ServiceMonitor has no bundled schema: kubernetes-validate warns and skips it,
    # check-render.py checks its shape.
    run "kubernetes-validate --strict $KUBE_VERSION ($label)" \
        kubernetes-validate --strict --quiet -k "$KUBE_VERSION" "$render"
    # shellcheck disable=SC2086 # flags is a word list on purpose
    run "check-render ($label)" "$PY" "$TOOLS_DIR/check-render.py" "$render" --services "$services" $flags \
        --write-config "$OUT/pylon-$label.toml"
    if [[ -n "$PYLON_BIN" && -s "$OUT/pylon-$label.toml" ]]; then
        run "$PYLON_BIN accepts pylon.toml ($label)" \
            env -i PATH=/usr/bin:/bin PYLON_CONFIG="$OUT/pylon-$label.toml" "$PYLON_BIN" config print
    fi
done

# 3b. The checkers themselves must catch a broken render (a mutated copy of the
#     default one), so a silently passing validator cannot hide a bad chart.
default_render="$OUT/render-defaults.yaml"
expect_failure() { # NAME CMD...: the command must exit non-zero
    local name="$1"; shift
    if "$@" >"$OUT/log" 2>&1; then cat "$OUT/log"; fail "$name (it passed)"; else pass "$name"; fi
}
if [[ -s "$default_render" ]]; then
    sed 's/revisionHistoryLimit: 5/revisionHistoryLimit: five/' "$default_render" >"$OUT/bad-type.yaml"
    expect_failure "kubernetes-validate catches a wrong type" \
        kubernetes-validate --strict --quiet -k "$KUBE_VERSION" "$OUT/bad-type.yaml"
    sed 's/revisionHistoryLimit: 5/revisionHistoryLimits: 5/' "$default_render" >"$OUT/bad-field.yaml"
    expect_failure "kubernetes-validate --strict catches an unknown field" \
        kubernetes-validate --strict --quiet -k "$KUBE_VERSION" "$OUT/bad-field.yaml"
    sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/' "$default_render" >"$OUT/bad-sc.yaml"
    expect_failure "check-render catches a writable root filesystem" \
        "$PY" "$TOOLS_DIR/check-render.py" "$OUT/bad-sc.yaml" --services "$all" --migrations
    expect_failure "check-render catches a missing service" \
        "$PY" "$TOOLS_DIR/check-render.py" "$default_render" --services "${all%,analytics}" --migrations
else
    fail "checker self-tests (no default render)"
fi

# 4. Negative self-checks: these values must be rejected, with an error that names the
#    offending value, so a broken schema or guard cannot pass silently.
#    `lint` cases go through `helm lint --strict` (values.schema.json). `template` cases
#    hit the template guards in _helpers.tpl, which helm 4's lint only logs at INFO
#    (`fail` is lenient in lint mode), so they are rendered with `helm template`.
#    Each: lint|template | description | expected text in the error | helm args.
negatives=(
    "lint|replicas: 0|at '/services/gateway/replicas': minimum|--set services.gateway.replicas=0"
    "lint|unknown device Service type|at '/gateway/deviceService/type'|--set gateway.deviceService.type=Ingress"
    "lint|unknown service name|invalid propertyName 'billingx'|--set services.billingx.enabled=true,services.billingx.replicas=1"
    "lint|replicas as a string|at '/services/charging/replicas'|--set-string services.charging.replicas=two"
    "lint|bad log_format|at '/config/telemetry/log_format'|--set config.telemetry.log_format=xml"
    "lint|database.url in the ConfigMap|additional properties 'url' not allowed|--set config.database.url=postgres://h/db"
    "lint|clickhouse.password in the ConfigMap|additional properties 'password'|--set config.clickhouse.password=x"
    "lint|listen address under config|additional properties 'listen'|--set config.http.listen=0.0.0.0:9999"
    "lint|bad externalTrafficPolicy|at '/gateway/deviceService/externalTrafficPolicy'|--set gateway.deviceService.externalTrafficPolicy=Nearest"
    "lint|port out of range|at '/ports/http': maximum|--set ports.http=70000"
    "lint|unknown top-level key|additional properties 'replicaCount'|--set replicaCount=2"
    "template|grace_secs >= terminationGracePeriodSeconds|must be below terminationGracePeriodSeconds|--set config.shutdown.grace_secs=15"
    "template|equal ports|must differ|--set ports.grpc=8080"
    "template|no database URL and no existingSecret|set secrets.databaseUrl or secrets.existingSecret|--set secrets.databaseUrl="
    "template|secret in the ConfigMap without schema|config.database.url is a secret|--skip-schema-validation --set config.database.url=postgres://h/db"
)
for n in "${negatives[@]}"; do
    IFS='|' read -r how what expect setargs <<<"$n"
    if [[ "$how" == lint ]]; then cmd=(helm lint --strict "$CHART"); else cmd=(helm template pylon "$CHART"); fi
    # shellcheck disable=SC2086 # setargs is a word list on purpose
    if "${cmd[@]}" $setargs >"$OUT/log" 2>&1; then
        cat "$OUT/log"; fail "helm $how rejects $what (it passed)"
    elif ! grep -qF -- "$expect" "$OUT/log"; then
        cat "$OUT/log"; fail "helm $how rejects $what (error does not mention \"$expect\")"
    else
        pass "helm $how rejects $what"
    fi
done

[[ -n "$PYLON_BIN" ]] || echo "SKIP  pylon config print on the rendered pylon.toml (no target/*/pylon; set PYLON_BIN)"

echo
if ((${#failures[@]})); then
    printf 'lint-chart: %d check(s) failed:\n' "${#failures[@]}"
    printf '  - %s\n' "${failures[@]}"
    exit 1
fi
echo "lint-chart: all checks passed"
