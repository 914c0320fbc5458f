#!/usr/bin/env bash
# docs/benchmarks.md, "Kiln on a standalone Spark cluster": in one run, one after the other,
# 1. photos/s of the same classify job (4 partitions, batches of 32, Parquet) on the 2-worker
#    standalone cluster (client mode: two executors of one core), in Spark local[2], and by
#    ImageClassifier.classifyFiles in one JVM, on the same photos with the same model; each the
#    fastest of --repeat passes (default 2);
# 2. the cost of each step of that job (KilnBatch steps: read, decode, fit + forward, Parquet; and
#    the Parquet write of cached rows alone) with 2, 4, 8 and 32 partitions on the cluster, and
#    with 4 in local[2]. STEPS_ONLY=1 skips 1.
#   mvn -B install -DskipTests -Dkiln.it.skip                 # at the root: spark-home jars, kiln-spark
#   (cd examples/spark-batch && mvn -B package -DskipTests)   # the jar to submit
#   examples/spark-batch/benchmark.sh MODEL.onnx [PHOTOS]     # PHOTOS: comma-separated folders
# PHOTOS default: 1,068 photos of the shared fixtures (hymenoptera train+val, four classes of
# pbc_blood_cells, neu_steel_defects/crazing). Environment: REPEAT (2), PARTITIONS (2,4,8,32).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
model="$(readlink -f "$1")"
f="$(cd "$root/../shared/fixtures/datasets" 2>/dev/null && pwd || echo "$root/../shared/fixtures/datasets")"
photos="${2:-$f/hymenoptera/train,$f/hymenoptera/val,$f/pbc_blood_cells/basophil,$f/pbc_blood_cells/eosinophil,$f/pbc_blood_cells/erythroblast,$f/pbc_blood_cells/ig,$f/neu_steel_defects/crazing}"
repeat="${REPEAT:-2}"
partitions="${PARTITIONS:-2,4,8,32}"
jar="$root/examples/spark-batch/target/spark-batch-1.0.jar"
out="$root/examples/spark-batch/target/benchmark"
export KILN_CLUSTER_DIR="$out/cluster"
rm -rf "$out"; mkdir -p "$out"
trap '"$root/spark/cluster/stop.sh" >/dev/null' EXIT
master="$("$root/spark/cluster/start.sh")"
# $1 master, $2 output, rest: the command
submit() {
  local m="$1" o="$2"; shift 2
  "$root/spark/cluster/submit.sh" --master "$m" --driver-memory 768m --executor-memory 768m \
    --conf spark.ui.enabled=false --class com.example.batch.KilnBatch "$jar" \
    "$@" --model "$model" --photos "$photos" --out "$o" > "$o.log" 2>&1
}
runs=()
if [[ -z "${STEPS_ONLY:-}" ]]; then
  runs=(cluster-2-workers local-2 runtime)
  submit "$master" "$out/cluster-2-workers" classify --partitions 4 --repeat "$repeat"
  submit "local[2]" "$out/local-2" classify --partitions 4 --repeat "$repeat"
  java -Xmx768m -cp "$jar:$root/spark/target/spark-home/jars/*" com.example.batch.KilnBatch \
    runtime --model "$model" --photos "$photos" --repeat "$repeat" --out "$out/runtime" \
    > "$out/runtime.log" 2>&1
fi
submit "$master" "$out/steps-cluster" steps --partitions "$partitions" --repeat 1
submit "local[2]" "$out/steps-local-2" steps --partitions 4 --repeat 1
v() { grep "^$2=" "$out/$1/_report.properties" | cut -d= -f2-; }
printf '| path | photos | errors | seconds (best of %s) | photos/s |\n|---|---|---|---|---|\n' "$repeat"
for run in "${runs[@]}"; do
  printf '| %s | %s | %s | %s | %s |\n' "$run" "$(v $run photos)" "$(v $run errors)" \
    "$(v $run seconds)" "$(v $run photosPerSecond)"
done
echo
printf '| where | partitions | read s | + decode s | + fit, forward (noop sink) s | + Parquet s (the job) | photos/s | Parquet write alone s |\n|---|---|---|---|---|---|---|---|\n'
for run in steps-cluster steps-local-2; do
  n="$(v $run photos)"
  for p in ${partitions//,/ }; do
    [[ -n "$(v $run "p$p.read")" ]] || continue
    printf '| %s | %s | %s | %s | %s | %s | %.1f | %s |\n' "$run" "$p" "$(v $run "p$p.read")" \
      "$(v $run "p$p.decode")" "$(v $run "p$p.classify")" "$(v $run "p$p.parquet")" \
      "$(echo "$n / $(v $run "p$p.parquet")" | bc -l)" "$(v $run "p$p.write")"
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
