#!/usr/bin/env bash
# Installs what building and testing inferd needs, idempotently:
#   Debian packages (apt-get), the ONNX Runtime SDK (scripts/fetch_onnxruntime.sh)
#   and a Python virtual environment with requirements-dev.txt (pip).
# Downloads are cached outside the clone (INFERD_CACHE, default ~/.cache/inferd).
# Prints nothing but progress on stderr; prints KEY=VALUE lines for make on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${INFERD_CACHE:-$HOME/.cache/inferd}
mkdir -p "$CACHE"
log() { echo "setup: $*" >&2; }

APT_PACKAGES=(
  g++ make cmake ninja-build pkg-config unzip python3-pip curl iproute2
  libboost-dev rapidjson-dev libsimdjson-dev libspdlog-dev libcli11-dev libgtest-dev
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  libsqlite3-dev libssl-dev sqlite3 zlib1g-dev libyaml-cpp-dev libhiredis-dev redis-server
  libjemalloc-dev
  clang clang-format libclang-rt-14-dev
  python3 python3-venv
)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
# npm installs Swagger UI's assets; any Node.js distribution will do.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

ort_root=$(scripts/fetch_onnxruntime.sh)
swagger_ui=$(scripts/fetch_swagger_ui.sh)

# The venv is keyed by the requirements' hash, so a change makes a new one.
req_hash=$(cat requirements-dev.txt requirements-tfserving.txt | sha256sum | cut -c1-12)
venv="$CACHE/venv-$req_hash"
if [ ! -f "$venv/.complete" ]; then
  log "creating Python environment $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r requirements-dev.txt >&2
  # TF Serving's stubs without TensorFlow: --no-deps, in file order (see the file).
  grep -v '^#' requirements-tfserving.txt | xargs -n1 "$venv/bin/pip" install -q \
    --disable-pip-version-check --no-deps >&2
  touch "$venv/.complete"
fi

echo "ORT_ROOT=$ort_root"
echo "SWAGGER_UI=$swagger_ui"
echo "VENV=$venv"
