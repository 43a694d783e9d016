#!/bin/bash
# CPU per recommendation request, this checkout against another revision and against a bare
# node:http server, alternating in one run (a shared machine's speed drifts between runs; a
# ratio within one run does not).
#
# Usage (after `npm run build`, and once `node build/bench/serving.js --data DIR` has
# imported and trained DIR; needs wrk):
#   bench/serving-cpu-ab.sh BASE_REV DIR [ROUNDS]
#   bench/serving-cpu-ab.sh floor DIR [ROUNDS]      (this checkout alone)
#
# Each round measures, one after the other: this checkout's `kindred serve` over DIR, the
# same build's "floor", then the same two for BASE_REV (built in a temporary worktree), each
# followed at once by a bare node:http server answering this checkout's first answer as a
# fixed body (the serving benchmark's anchor), so that each ratio compares two measures a
# few seconds apart (a shared machine's speed drifts within minutes). Each Kindred server is
# started, waited for until it is ready (its indexes built, users' vectors folded in, and for
# builds that have them the lists within each category ranked ahead), warmed for 3 s, then
# loaded by wrk (1 thread, 4 connections, 10 s) with the serving benchmark's request mix;
# the bare server is warmed and loaded the same way. Each line printed is the answers a
# second and the server's main-thread CPU time per request, read from /proc before and
# after. A summary line per round and build gives its ratios to the bare server: bare µs /
# build µs (the share of the bare server's throughput the build's CPU allows), for its
# recommendations and for its floor.
#
# The "floor" of a build is that build with one line changed in a copy of its `dist`: the
# recommendation route answers every request with the body of its first answer. Same
# process, data, defaults, gateway and HTTP path, no recommendation work: the most the
# engine's HTTP side allows, whatever the pipeline costs.
set -euo pipefail
base=${1:?base revision or floor}; data=${2:?data directory}; rounds=${3:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
serve_pid=; bare_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill -INT "$serve_pid" 2>/dev/null
  [ -n "$bare_pid" ] && kill "$bare_pid" 2>/dev/null
  wait 2>/dev/null
  git -C "$here" worktree remove --force "$work/base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
floor_copy() { # build-root copy-root
  mkdir "$2"
  cp -r "$1/bin" "$1/dist" "$1/package.json" "$2/"
  ln -s "$here/node_modules" "$2/node_modules"
  local route="$2/dist/src/http/direct-recommendations.js"
  local call='answerJson(service.forUser(userId, params, NO_TRACE))'
  grep -qF "$call" "$route" || { echo "the route's answer call is not in $route" >&2; exit 1; }
  sed -i "s|$call|(globalThis.fixedAnswer ??= answerJson(service.forUser(userId, params, NO_TRACE)))|" "$route"
}
floor_copy "$here" "$work/this-floor"
labels=("this checkout")
if [ "$base" != floor ]; then
  git -C "$here" worktree add --detach "$work/base" "$base" >/dev/null
  ln -s "$here/node_modules" "$work/base/node_modules"
  (cd "$work/base" && npx tsc -p tsconfig.build.json)
  floor_copy "$work/base" "$work/base-floor"
  labels+=("$base")
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
  serve_pid=$!
  local pid=$serve_pid
  for _ in $(seq 1 600); do grep -aq "users' vectors folded in" "$log" && break; sleep 1; done
  for _ in $(seq 1 600); do grep -aq "kindred is serving" "$log" && break; sleep 1; done
  if grep -rqs "category lists ranked ahead" "$root/dist/src/app/serving/"; then
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
  serve_pid=
}
report() { # label wrk-output cpu-ticks-before cpu-ticks-after (sets $us)
  local requests
  requests=$(echo "$2" | grep -oE "[0-9]+ requests in" | awk '{print $1}')
  us=$(echo "($4-$3)*1000000/$(getconf CLK_TCK)/$requests" | bc -l | cut -c1-6)
  echo "$1: $(echo "$2" | grep Requests/ | awk '{print $2}') req/s, main thread $us us per request"
}
measure_bare() { # label seed (sets $us)
  if [ -z "$bare_pid" ]; then
    BARE_BODY=$(cat "$work/body.json") PORT=8098 node "$here/build/bench/bare-server.js" >/dev/null &
    bare_pid=$!
    sleep 1
  fi
  wrk -t1 -c4 -d3s -s "$work/mix.lua" http://127.0.0.1:8098 -- 1 >/dev/null
  local before after out
  before=$(awk '{print $14+$15}' "/proc/$bare_pid/stat")
  out=$(wrk -t1 -c4 -d10s -s "$work/mix.lua" http://127.0.0.1:8098 -- "$2")
  after=$(awk '{print $14+$15}' "/proc/$bare_pid/stat")
  report "$1" "$out" "$before" "$after"
}
ratio() { echo "scale=3; $1/$2" | bc -l | sed 's/^\./0./'; }
roots=("$here" "$work/this-floor")
[ "$base" != floor ] && roots+=("$work/base" "$work/base-floor")
for round in $(seq 1 "$rounds"); do
  declare -a cpu=() anchor=()
  for j in "${!roots[@]}"; do
    label="round $round, ${labels[$((j / 2))]}"
    [ $((j % 2)) = 1 ] && label="$label, floor"
    measure "${roots[$j]}" "$label" "$round"; cpu[$j]=$us
    measure_bare "$label: bare node:http after it" "$round"; anchor[$j]=$us
  done
  for i in "${!labels[@]}"; do
    r=$((2 * i)); f=$((2 * i + 1))
    echo "round $round, ${labels[$i]}: recommendations/bare $(ratio "${anchor[$r]}" "${cpu[$r]}") (${cpu[$r]} / ${anchor[$r]} us), floor/bare $(ratio "${anchor[$f]}" "${cpu[$f]}") (${cpu[$f]} / ${anchor[$f]} us)"
  done
done
