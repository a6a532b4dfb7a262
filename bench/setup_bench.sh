#!/usr/bin/env bash
# Installs what the benchmark suite needs, idempotently (bench/README.md):
#   Debian packages: wrk (HTTP load), nginx-light (L3), nghttp2-client (h2load)
#   a Python venv for the peers, from the pinned bench/requirements.txt
#   MLServer's venv, from bench/peers/mlserver/requirements.txt (unless
#   BENCH_SKIP_MLSERVER says why not)
#   BentoML's venv, from bench/peers/bentoml/requirements.txt (unless
#   BENCH_SKIP_BENTOML says why not)
#   TorchServe's venv, from bench/peers/torchserve/requirements.txt, and its
#   Java (openjdk-17-jre-headless), unless BENCH_SKIP_TORCHSERVE says why not
#   MLflow's venv, from bench/peers/mlflow/requirements.txt (unless
#   BENCH_SKIP_MLFLOW says why not)
#   Ray Serve's venv, from bench/peers/rayserve/requirements.txt (unless
#   BENCH_SKIP_RAYSERVE says why not)
#   ghz (gRPC load) and openloop (constant-rate HTTP load), built with Go from
#   the module pinned in bench/tools (go.mod + the committed go.sum)
# Downloads and builds are cached outside the clone (INFERD_CACHE, default
# ~/.cache/inferd), keyed by the hash of what they are made from.
# Progress goes to stderr; stdout gets KEY=VALUE lines for run_bench.py.
# Anything missing after this is an error: no benchmark runs with a tool short.
set -euo pipefail
cd "$(dirname "$0")"

CACHE=${INFERD_CACHE:-$HOME/.cache/inferd}
mkdir -p "$CACHE"
log() { echo "setup_bench: $*" >&2; }
die() { echo "setup_bench: error: $*" >&2; exit 1; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# --- Debian packages --------------------------------------------------------
APT_PACKAGES=(wrk nginx-light nghttp2-client python3 python3-venv)
# TorchServe's frontend is Java (it asks for 11 or later; Debian 12 has 17).
[ -n "${BENCH_SKIP_TORCHSERVE:-}" ] || APT_PACKAGES+=(openjdk-17-jre-headless)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
# Any nginx flavour will do for L3.
if [ -x /usr/sbin/nginx ]; then
  missing=("${missing[@]/nginx-light/}")
fi
# Go builds ghz; Debian's golang-go is the fallback when no Go is installed.
GO=$(command -v go || true)
if [ -z "$GO" ] && [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; fi
[ -n "$GO" ] || missing+=(golang-go)
missing=($(printf '%s\n' "${missing[@]}" | grep . || true))
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
if [ -z "$GO" ]; then GO=$(command -v go) || die "go not found after installing golang-go"; fi

WRK=$(command -v wrk) || die "wrk not found"
H2LOAD=$(command -v h2load) || die "h2load not found"
NGINX=/usr/sbin/nginx
[ -x "$NGINX" ] || die "nginx not found"
if [ -z "${BENCH_SKIP_TORCHSERVE:-}" ]; then
  command -v java >/dev/null || die "java not found (TorchServe's frontend needs it)"
  # The java on PATH is the one TorchServe runs (JAVA_HOME is not set for it).
  java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  [ "${java_major:-0}" -ge 11 ] || die "TorchServe needs Java 11 or later; java on PATH is ${java_major:-unknown}"
fi
# Debian enables and starts the packaged nginx on :80; L3 runs its own instance
# from a config of its own, so the packaged one is left as it is.

# --- the peers' Python environments, a venv each (their pins conflict) -------
# peer_venv NAME SKIP_REASON REQUIREMENTS IMPORTS KEY: creates the venv from
# REQUIREMENTS once (cache key: its hash) and prints KEY=path, or logs why not.
peer_venv() {
  local name=$1 skip=$2 requirements=$3 imports=$4 key=$5
  if [ -n "$skip" ]; then
    log "skipping $name: $skip"
    return
  fi
  local hash peer
  hash=$(sha256sum "$requirements" | cut -c1-12)
  peer="$CACHE/bench-$(echo "$name" | tr '[:upper:]' '[:lower:]' | tr -d ' ')-$hash"
  if [ ! -f "$peer/.complete" ]; then
    log "creating $name's Python environment $peer"
    rm -rf "$peer"
    python3 -m venv "$peer"
    "$peer/bin/pip" install -q --disable-pip-version-check -r "$requirements" >&2
    "$peer/bin/python" -c "import $imports" || die "$name's venv does not import"
    touch "$peer/.complete"
  fi
  echo "$key=$peer"
}
# P1 and P2's venv (bench/requirements.txt), at $CACHE/bench-venv-<hash>.
peer_venv venv "" requirements.txt "fastapi, uvicorn, joblib, sklearn, onnxruntime, numpy" BENCH_VENV
# MLServer needs fastapi<0.116, which P1/P2 do not take.
peer_venv MLServer "${BENCH_SKIP_MLSERVER:-}" peers/mlserver/requirements.txt \
  "mlserver, mlserver_sklearn, onnxruntime" MLSERVER_VENV
peer_venv BentoML "${BENCH_SKIP_BENTOML:-}" peers/bentoml/requirements.txt \
  "bentoml, onnxruntime, numpy" BENTOML_VENV
# TorchServe's worker imports torch: PyPI's Linux wheel and its CUDA libraries
# make this venv about 5.3 GB (peers/torchserve/requirements.txt says why).
peer_venv TorchServe "${BENCH_SKIP_TORCHSERVE:-}" peers/torchserve/requirements.txt \
  "ts.model_service_worker, model_archiver, onnxruntime, torch" TORCHSERVE_VENV
peer_venv MLflow "${BENCH_SKIP_MLFLOW:-}" peers/mlflow/requirements.txt \
  "mlflow.onnx, mlflow.pyfunc.scoring_server, onnxruntime, uvloop, httptools" MLFLOW_VENV
peer_venv "Ray Serve" "${BENCH_SKIP_RAYSERVE:-}" peers/rayserve/requirements.txt \
  "ray.serve, starlette, onnxruntime, numpy" RAYSERVE_VENV

# --- ghz and openloop -------------------------------------------------------
tools_hash=$(cat tools/go.mod tools/go.sum tools/openloop/main.go | sha256sum | cut -c1-12)
tools="$CACHE/bench-tools-$tools_hash"
if [ ! -f "$tools/.complete" ]; then
  log "building ghz and openloop into $tools (a minute or two, once)"
  rm -rf "$tools"
  mkdir -p "$tools"
  # -mod=readonly: go.mod and go.sum are used as committed, and every module
  # download is checked against go.sum's hashes, so the checksum database is
  # never needed. GOTOOLCHAIN=local: never download another Go.
  (
    cd tools
    export GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=local \
      GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build"
    "$GO" build -o "$tools/ghz" github.com/bojand/ghz/cmd/ghz
    "$GO" build -o "$tools/openloop" ./openloop
  ) >&2 || die "building ghz/openloop failed (see above)"
  touch "$tools/.complete"
fi
[ -x "$tools/ghz" ] && [ -x "$tools/openloop" ] || die "ghz or openloop missing in $tools"

echo "WRK=$WRK"
echo "H2LOAD=$H2LOAD"
echo "NGINX=$NGINX"
echo "GHZ=$tools/ghz"
echo "OPENLOOP=$tools/openloop"
