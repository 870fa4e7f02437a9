#!/usr/bin/env bash
# Verso against promptfoo on the same suite and the same demo model server:
# 1,000 cases x 2 prompt versions, concurrency 32, 50 ms per call, so the
# lower bound is 2,000 x 50 ms / 32 = 3.1 s. Both tools persist their results
# (Verso to its SQLite file, promptfoo to its own database).
#
#   demo/bench/compare.sh                      # Verso only
#   PROMPTFOO="npx promptfoo" demo/bench/compare.sh
#
# promptfoo: any command that runs it, e.g. "npx promptfoo". The figures in
# the README used promptfoo 0.120.0 (releases up to 0.121.x run on Node
# 20.20; 0.122 and later need Node 22), installed in a scratch folder:
#   cd /tmp/pf && npm install promptfoo@0.120.0
#   ln -s dist/drizzle node_modules/promptfoo/drizzle   # 0.120.0 looks for its migrations there
#   PROMPTFOO=/tmp/pf/node_modules/.bin/promptfoo demo/bench/compare.sh
#
# Knobs: CASES (1000), LATENCY (50ms), CONCURRENCY (32), PORT (8089),
# VERSO_BIN (a built verso; default: go build ./cmd/verso).
# Everything is written to a temporary folder that is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

cases=${CASES:-1000}
latency=${LATENCY:-50ms}
conc=${CONCURRENCY:-32}
port=${PORT:-8089}
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

timed() { # timed LABEL CMD...: wall time and peak memory of one command
  local label=$1
  shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "$label: %e s wall, %M KB peak RSS" "$@" >"$work/out" 2>"$work/err" || { tail -n 40 "$work/err" "$work/out"; exit 1; }
    tail -n 1 "$work/err"
    grep -hE "passed, .* failed|Successes:|Failures:|Errors:" "$work/err" "$work/out" | sed 's/^/    /' || true
  else
    local TIMEFORMAT="$label: %R s wall"
    time ("$@" >"$work/out" 2>"$work/err") || { tail -n 40 "$work/err" "$work/out"; exit 1; }
  fi
}

if [ -n "${VERSO_BIN:-}" ]; then
  cp "$VERSO_BIN" "$work/verso"
else
  go build -o "$work/verso" ./cmd/verso
fi
"$work/verso" demo --serve "127.0.0.1:$port" --latency "$latency" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 50); do
  grep -q "serving at" "$work/server.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "serving at" "$work/server.log" || { cat "$work/server.log"; exit 1; }
url="http://127.0.0.1:$port/v1"

# One suite in promptfoo's tests: shape, read by both tools.
awk -v n="$cases" 'BEGIN {
  split("I love it, works great|Terrible, broke after a day|It is a phone", r, "|")
  print "tests:"
  for (i = 0; i < n; i++)
    printf "  - description: case %d\n    vars: {review: \"%s (#%d)\"}\n    assert:\n      - type: icontains-any\n        value: [positive, negative, neutral]\n", i + 1, r[i % 3 + 1], i
}' >"$work/tests.yaml"
v1='What is the sentiment of this review?
Review: {{review}}'
v2='Classify the sentiment of the review as positive, negative or neutral. Answer with the label only.
Review: {{review}}'

export VERSO_DB="$work/verso.db" VERSO_CONFIG="$work/config.yaml" VERSO_AUTHOR=bench
printf 'providers:\n  demo:\n    base_url: %s\n' "$url" >"$VERSO_CONFIG"
printf '%s' "$v1" | "$work/verso" commit sentiment -m v1 >/dev/null
printf '%s' "$v2" | "$work/verso" commit sentiment -m v2 >/dev/null
"$work/verso" suite import sentiment "$work/tests.yaml" >/dev/null

echo "$cases cases x 2 versions, concurrency $conc, latency $latency: lower bound $(awk -v n="$cases" -v c="$conc" -v l="${latency%ms}" 'BEGIN { printf "%.2f", 2 * n * l / 1000 / c }') s"
# The first run of each tool starts with an empty cache (every call reaches
# the server) and fills it; the second is answered from the cache.
timed "verso eval           " "$work/verso" eval sentiment@1 sentiment@2 --model demo/demo-small --concurrency "$conc" --format json --out "$work/verso.json"
timed "verso eval (cached)  " "$work/verso" eval sentiment@1 sentiment@2 --model demo/demo-small --concurrency "$conc" --format json --out "$work/verso-cached.json"

if [ -n "${PROMPTFOO:-}" ]; then
  mkdir -p "$work/pf"
  {
    echo "prompts:"
    printf '  - |\n%s\n' "$(printf '%s' "$v1" | sed 's/^/    /')"
    printf '  - |\n%s\n' "$(printf '%s' "$v2" | sed 's/^/    /')"
    printf 'providers:\n  - id: openai:chat:demo-small\n    config:\n      apiBaseUrl: %s\n      apiKey: demo\n' "$url"
    cat "$work/tests.yaml"
  } >"$work/pf/promptfooconfig.yaml"
  export PROMPTFOO_CONFIG_DIR="$work/pf/home" PROMPTFOO_CACHE_PATH="$work/pf/cache" \
    PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_DISABLE_UPDATE=1 PROMPTFOO_DISABLE_SHARING=1 \
    PROMPTFOO_DISABLE_DEBUG_LOG=1 PROMPTFOO_DISABLE_ERROR_LOG=1
  # shellcheck disable=SC2086
  timed "promptfoo eval       " $PROMPTFOO eval -c "$work/pf/promptfooconfig.yaml" --max-concurrency "$conc" --no-progress-bar --no-table -o "$work/pf/out.json"
  # shellcheck disable=SC2086
  timed "promptfoo (cached)   " $PROMPTFOO eval -c "$work/pf/promptfooconfig.yaml" --max-concurrency "$conc" --no-progress-bar --no-table -o "$work/pf/out-cached.json"
fi
