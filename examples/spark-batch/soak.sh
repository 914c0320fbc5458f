#!/usr/bin/env bash
# docs/benchmarks.md, "An executor's memory over many batches": the classify job PASSES times (60)
# in one application on the 2-worker standalone cluster (2 partitions, one batch per executor per
# pass), the resident memory (VmRSS) of both executor JVMs printed after every pass, and Native
# Memory Tracking's diff (what the JVM itself allocated) between pass 10 and pass PASSES-5 saved in
# target/soak/nmt-diff-PID.txt. The executors' heaps are committed and touched at start (-Xms =
# -Xmx, -XX:+AlwaysPreTouch), so RSS only moves with memory outside the heap. ClusterIT checks the
# same over 22 passes; this shows where the growth goes after the JVM has warmed up.
#   examples/spark-batch/soak.sh MODEL.onnx [PHOTOS]     # PHOTOS default: hymenoptera val/ants
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
model="$(readlink -f "$1")"
photos="${2:-$root/../shared/fixtures/datasets/hymenoptera/val/ants}"
passes="${PASSES:-60}"
out="$root/examples/spark-batch/target/soak"
rm -rf "$out"; mkdir -p "$out"
export KILN_CLUSTER_DIR="$out/cluster"
trap '"$root/spark/cluster/stop.sh" >/dev/null' EXIT
master="$("$root/spark/cluster/start.sh")"
"$root/spark/cluster/submit.sh" --master "$master" --deploy-mode client --executor-memory 768m \
  --conf "spark.executor.extraJavaOptions=-Dkiln.spark.sessionLog=kiln-sessions.log -Xms768m -XX:+AlwaysPreTouch -XX:NativeMemoryTracking=summary" \
  --driver-memory 768m --conf spark.ui.enabled=false --class com.example.batch.KilnBatch \
  "$root/examples/spark-batch/target/spark-batch-1.0.jar" classify --model "$model" \
  --photos "$photos" --partitions 2 --batch-size 64 --repeat "$passes" --out "$out/rows" \
  > "$out/driver.log" 2>&1 &
submitted=$!
seen=0
while kill -0 "$submitted" 2>/dev/null; do
  pass="$(grep -o "kiln-batch pass [0-9]*" "$out/driver.log" | tail -1 | grep -o "[0-9]*$" || true)"
  if (( ${pass:-0} > seen )); then
    seen=$pass
    line="pass $pass RSS kB:"
    for worker in $(awk '/^worker-/{print $2}' "$out/cluster/pids"); do
      for executor in $(pgrep -P "$worker"); do
        line="$line $executor=$(awk '/VmRSS/{print $2}' "/proc/$executor/status" 2>/dev/null)"
        if (( pass == 10 )); then
          jcmd "$executor" VM.native_memory baseline > /dev/null || true
        elif (( pass == passes - 5 )); then
          jcmd "$executor" VM.native_memory summary.diff > "$out/nmt-diff-$executor.txt" || true
        fi
      done
    done
    echo "$line"
  fi
  sleep 0.1
done
wait "$submitted"
for f in "$out"/nmt-diff-*.txt; do
  echo "NMT, pass 10 to $((passes - 5)), $(basename "$f" .txt | sed 's/nmt-diff-/executor /'):"
  grep -E "Total:|Java Heap|Code \(|Metaspace \(|Arena Chunk|Compiler \(|Internal \(|Other \(" "$f" \
    | sed -E 's/^[- ]+/  /'
done
