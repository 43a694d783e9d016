#!/bin/bash
# CPU per recommendation request, this checkout against another revision, alternating in
# one run (a shared machine's speed drifts between runs; a ratio within one run does not).
#
# Usage (after `npm run build`, and once `node dist/bench/serving.js --data DIR` has
# imported and trained DIR; needs wrk):
#   bench/serving-cpu-ab.sh BASE_REV DIR [ROUNDS]
#
# Each round starts `kindred serve` of each build over DIR, waits until it is ready (its
# indexes built, users' vectors folded in, and for builds that have them the lists within
# each category ranked ahead), warms it for 3 s, then runs wrk (1 thread, 4 connections,
# 10 s) with the serving benchmark's request mix and prints the server's main-thread CPU
# time per request, read from /proc before and after.
set -euo pipefail
base=${1:?base revision}; data=${2:?data directory}; rounds=${3:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'pkill -f "kindred.js serve --data $data" || true; git -C "$here" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$here" worktree add --detach "$work/base" "$base" >/dev/null
ln -s "$here/node_modules" "$work/base/node_modules"
(cd "$work/base" && npx tsc -p tsconfig.build.json)
pipeline=$(node -e "const s=require('fs').readFileSync('$here/bench/serving.ts','utf8');const m=/const PIPELINE = JSON.stringify\(([\s\S]*?)\);\n/.exec(s);console.log(JSON.stringify(eval('('+m[1]+')')))")
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
  requests=$(echo "$out" | grep -oE "[0-9]+ requests in" | awk '{print $1}')
  echo "$2: $(echo "$out" | grep Requests/ | awk '{print $2}') req/s, main thread $(echo "($after-$before)*1000000/$(getconf CLK_TCK)/$requests" | bc -l | cut -c1-6) us per request"
  kill -INT "$pid"; wait "$pid" || true
}
for round in $(seq 1 "$rounds"); do
  measure "$work/base" "round $round, $base" "$round"
  measure "$here" "round $round, this checkout" "$round"
done
