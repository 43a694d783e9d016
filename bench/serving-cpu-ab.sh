#!/bin/bash
# CPU per recommendation request, this checkout against another revision, alternating in
# one run (a shared machine's speed drifts between runs; a ratio within one run does not).
#
# Usage (after `npm run build`, and once `node dist/bench/serving.js --data DIR` has
# imported and trained DIR; needs wrk):
#   bench/serving-cpu-ab.sh BASE_REV DIR [ROUNDS]
#   bench/serving-cpu-ab.sh floor DIR [ROUNDS]
#
# Each round starts `kindred serve` of each build over DIR, waits until it is ready (its
# indexes built, users' vectors folded in, and for builds that have them the lists within
# each category ranked ahead), warms it for 3 s, then runs wrk (1 thread, 4 connections,
# 10 s) with the serving benchmark's request mix and prints the server's main-thread CPU
# time per request, read from /proc before and after; then the same for a bare node:http
# server answering this checkout's first answer as a fixed body (the benchmark's anchor).
#
# `floor` in place of a revision measures this checkout's build with one line changed in a
# copy of its `dist`: the recommendation route answers every request with the body of its
# first answer. Same process, data, gateway and HTTP path, no recommendation work: the
# most the engine's HTTP side allows, whatever the pipeline costs.
set -euo pipefail
base=${1:?base revision or floor}; data=${2:?data directory}; rounds=${3:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'pkill -f "kindred.js serve --data $data" || true; kill "${bare_pid:-}" 2>/dev/null || true; git -C "$here" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
if [ "$base" = floor ]; then
  mkdir "$work/base"
  cp -r "$here/bin" "$here/dist" "$here/package.json" "$work/base/"
  ln -s "$here/node_modules" "$work/base/node_modules"
  route="$work/base/dist/src/http/direct-recommendations.js"
  call='body = answerJson(service.forUser(userId, params, NO_TRACE));'
  grep -qF "$call" "$route" || { echo "the route's answer line is not in $route" >&2; exit 1; }
  sed -i "s|$call|body = globalThis.fixedAnswer ??= answerJson(service.forUser(userId, params, NO_TRACE));|" "$route"
else
  git -C "$here" worktree add --detach "$work/base" "$base" >/dev/null
  ln -s "$here/node_modules" "$work/base/node_modules"
  (cd "$work/base" && npx tsc -p tsconfig.build.json)
fi
pipeline=$(node -e "const s=require('fs').readFileSync('$here/bench/serving-mix.ts','utf8');const m=/const PIPELINE = JSON.stringify\(([\s\S]*?)\);\n/.exec(s);console.log(JSON.stringify(eval('('+m[1]+')')))")
cat > "$work/mix.lua" <<'LUA'
local categories = {"Books","Music","Movies","Games","Toys","Garden","Kitchen","Sports","Outdoors","Beauty","Health","Office","Pets","Baby","Tools","Auto","Shoes","Jewelry","Electronics","Crafts"}
init = function(args) math.randomseed(tonumber(args[1] or "7")) end
request = function()
  local ex = {}
  for j = 1, 5 do ex[j] = "i" .. math.random(0, 99999) end
  return wrk.format("GET", "/v1/users/u" .. math.random(0, 49999) .. "/recommendations?k=10&filter=%22" ..
    categories[math.random(1, #categories)] .. "%22%20in%20categories&exclude=" .. table.concat(ex, ","))
end
LUA
measure() { # root label seed
  local root=$1 log="$work/serve.log"
  (cd "$root" && KINDRED_TRAINING_ON_START=false KINDRED_TRAINING_EVERY_SECONDS=0 KINDRED_TRAINING_EVERY_EVENTS=0 \
    KINDRED_TRAINING_PIPELINE="$pipeline" exec node bin/kindred.js serve --data "$data" --port 8099 --host 127.0.0.1 2>"$log") &
  local pid=$!
  for _ in $(seq 1 600); do grep -aq "users' vectors folded in" "$log" && break; sleep 1; done
  if grep -q "category lists ranked ahead" "$root/dist/src/app/serving/recommendation-service.js" 2>/dev/null; then
    for _ in $(seq 1 600); do grep -aq "category lists ranked ahead" "$log" && break; sleep 1; done
  fi
  wrk -t1 -c4 -d3s -s "$work/mix.lua" http://127.0.0.1:8099 -- 1 >/dev/null
  local before after out requests
  before=$(awk '{print $14+$15}' "/proc/$pid/task/$pid/stat")
  out=$(wrk -t1 -c4 -d10s -s "$work/mix.lua" http://127.0.0.1:8099 -- "$3")
  after=$(awk '{print $14+$15}' "/proc/$pid/task/$pid/stat")
  report "$2" "$out" "$before" "$after"
  [ -s "$work/body.json" ] || curl -s "http://127.0.0.1:8099/v1/users/u1/recommendations?k=10" >"$work/body.json"
  kill -INT "$pid"; wait "$pid" || true
}
report() { # label wrk-output cpu-ticks-before cpu-ticks-after
  local requests
  requests=$(echo "$2" | grep -oE "[0-9]+ requests in" | awk '{print $1}')
  echo "$1: $(echo "$2" | grep Requests/ | awk '{print $2}') req/s, main thread $(echo "($4-$3)*1000000/$(getconf CLK_TCK)/$requests" | bc -l | cut -c1-6) us per request"
}
measure_bare() { # label seed
  BARE_BODY=$(cat "$work/body.json") PORT=8098 node "$here/dist/bench/bare-server.js" >/dev/null &
  bare_pid=$!
  sleep 1
  wrk -t1 -c4 -d3s -s "$work/mix.lua" http://127.0.0.1:8098 -- 1 >/dev/null
  local before after out
  before=$(awk '{print $14+$15}' "/proc/$bare_pid/stat")
  out=$(wrk -t1 -c4 -d10s -s "$work/mix.lua" http://127.0.0.1:8098 -- "$2")
  after=$(awk '{print $14+$15}' "/proc/$bare_pid/stat")
  report "$1" "$out" "$before" "$after"
  kill "$bare_pid"; wait "$bare_pid" 2>/dev/null || true
}
for round in $(seq 1 "$rounds"); do
  measure "$here" "round $round, this checkout" "$round"
  measure "$work/base" "round $round, $base" "$round"
  measure_bare "round $round, bare node:http" "$round"
done
