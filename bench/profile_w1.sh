#!/usr/bin/env bash
# Where the time of a small-model request goes: inferd serves W1 (logreg, one
# row, KServe JSON) to wrk at concurrency 64 while `perf record` samples the
# server's CPU time (cpu-clock: this VM has no hardware counters). Writes
#   bench/out/profile_w1/by_dso.txt    share of server CPU per library
#   bench/out/profile_w1/by_symbol.txt the hottest functions
# Usage: bench/profile_w1.sh [SECONDS]   (after `make build examples`)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
out=bench/out/profile_w1
mkdir -p "$out"
command -v perf >/dev/null || { echo "perf is missing: apt-get install linux-perf" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: run bench/setup_bench.sh" >&2; exit 1; }
port=18600
./build/inferd serve --model-repository example-models --http-port $port --grpc-port 0 \
  > "$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null && break
  sleep 0.1
done
python3 -c 'import json; print(json.dumps({"inputs": [{"name": "float_input", "datatype": "FP32", "shape": [1, 30], "data": [0.5] * 30}]}))' \
  > "$out/body.json"
url="http://127.0.0.1:$port/v2/models/logreg/infer"
wrk -t2 -c64 -d2s -s bench/lua/post.lua "$url" -- "$out/body.json" >/dev/null  # warm-up
wrk -t2 -c64 -d"$((seconds + 2))"s -s bench/lua/post.lua "$url" -- "$out/body.json" \
  > "$out/wrk.txt" &
load=$!
sleep 1
perf record -e cpu-clock -F 999 -p $server -o "$out/perf.data" -- sleep "$seconds" 2> "$out/perf.log"
wait $load
# head closes the pipe early; that is not a failure.
set +o pipefail
perf report -i "$out/perf.data" --no-children --sort dso --stdio 2>/dev/null \
  | grep -v '^#' | grep -v '^$' | head -25 > "$out/by_dso.txt"
perf report -i "$out/perf.data" --no-children --sort dso,sym --stdio 2>/dev/null \
  | grep -v '^#' | grep -v '^$' | head -60 > "$out/by_symbol.txt"
set -o pipefail
grep -E "Requests/sec" "$out/wrk.txt"
echo "--- by library"; cat "$out/by_dso.txt"
echo "--- hottest functions"; head -40 "$out/by_symbol.txt"
