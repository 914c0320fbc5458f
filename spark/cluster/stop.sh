#!/usr/bin/env bash
# Stops the cluster start.sh recorded: the workers' children (executors, cluster-mode drivers)
# and the daemons, TERM first (Spark's shutdown hooks run), KILL after 20 s. Safe to run twice.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="${KILN_CLUSTER_DIR:-$here/../target/cluster}"
[[ -f "$state/pids" ]] || { echo "stop.sh: no cluster recorded in $state"; exit 0; }
pids=()
while read -r name pid; do
  [[ -n "$pid" ]] || continue
  # the executors and drivers a worker launched are its children
  for child in $(pgrep -P "$pid" 2>/dev/null); do pids+=("$child"); done
  pids+=("$pid")
done < "$state/pids"
# workers before the master, so they do not try to reconnect
for ((i=${#pids[@]}-1; i>=0; i--)); do kill "${pids[$i]}" 2>/dev/null || true; done
for _ in $(seq 1 40); do
  alive=0
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
  [[ $alive == 0 ]] && break
  sleep 0.5
done
for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
rm -f "$state/pids" "$state/master-url"
# start.sh's KILN_CLUSTER_OWNER watcher, unless it is the one running this script
if [[ -f "$state/watch-pid" ]]; then
  watcher="$(cat "$state/watch-pid")"
  [[ "$watcher" != "$PPID" && "$watcher" != "$$" ]] && kill "$watcher" 2>/dev/null
  rm -f "$state/watch-pid"
fi
echo "stop.sh: stopped ${#pids[@]} JVMs"
