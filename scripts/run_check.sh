#!/usr/bin/env bash
# `make run`, checked: starts the server exactly as `make run` does, waits until
# it is ready, calls one model the way the README shows, and stops it with
# SIGTERM. Exits non-zero when any step fails.
#   scripts/run_check.sh BINARY REPOSITORY PORT
set -euo pipefail
bin=$1 repo=$2 port=$3
log=$(mktemp)
"$bin" serve --model-repository "$repo" --http-port "$port" >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT
fail() { echo "run-check: $*" >&2; tail -20 "$log" >&2; exit 1; }

for _ in $(seq 1 600); do
  kill -0 "$pid" 2>/dev/null || fail "the server exited before it was ready"
  curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null || fail "not ready within 60 s"

answer=$(curl -sf "http://127.0.0.1:$port/v2/models/random_forest/infer" -d '{"inputs": [{"name": "float_input", "shape": [2, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]}]}') \
  || fail "the README's infer call failed"
echo "$answer" | grep -q '"name":"output_label","datatype":"INT64","shape":\[2\],"data":\[0,2\]' \
  || fail "unexpected answer: $answer"

kill -TERM "$pid"
wait "$pid" || fail "the server did not exit cleanly after SIGTERM"
trap - EXIT
rm -f "$log"
echo "run-check: make run served random_forest on port $port and stopped cleanly"
