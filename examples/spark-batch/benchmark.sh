#!/usr/bin/env bash
# docs/benchmarks.md, "Kiln on a standalone Spark cluster": photos/s of the same classify job on the
# 2-worker standalone cluster (client mode: two executors of one core), in Spark local[2], and by
# ImageClassifier.classifyFiles in one JVM, on the same photos with the same model, one run after
# the other. Each measures --repeat 3 passes and keeps the fastest.
#   mvn -B install -DskipTests -Dkiln.it.skip                 # at the root: spark-home jars, kiln-spark
#   (cd examples/spark-batch && mvn -B package -DskipTests)   # the jar to submit
#   examples/spark-batch/benchmark.sh MODEL.onnx [PHOTOS]     # PHOTOS: comma-separated folders
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
model="$(readlink -f "$1")"
photos="${2:-$root/../shared/fixtures/datasets/hymenoptera/train,$root/../shared/fixtures/datasets/hymenoptera/val}"
jar="$root/examples/spark-batch/target/spark-batch-1.0.jar"
out="$root/examples/spark-batch/target/benchmark"
export KILN_CLUSTER_DIR="$out/cluster"
rm -rf "$out"; mkdir -p "$out"
trap '"$root/spark/cluster/stop.sh" >/dev/null' EXIT
master="$("$root/spark/cluster/start.sh")"
submit() {
  "$root/spark/cluster/submit.sh" --master "$1" --driver-memory 768m --executor-memory 768m \
    --conf spark.ui.enabled=false --class com.example.batch.KilnBatch "$jar" \
    classify --model "$model" --photos "$photos" --partitions 4 --repeat 3 --out "$2" \
    > "$2.log" 2>&1
}
submit "$master" "$out/cluster-2-workers"
submit "local[2]" "$out/local-2"
java -Xmx768m -cp "$jar:$root/spark/target/spark-home/jars/*" com.example.batch.KilnBatch \
  runtime --model "$model" --photos "$photos" --repeat 3 --out "$out/runtime" > "$out/runtime.log" 2>&1
printf '| path | photos | errors | seconds (best of 3) | photos/s |\n|---|---|---|---|---|\n'
for run in cluster-2-workers local-2 runtime; do
  f="$out/$run/_report.properties"
  v() { grep "^$1=" "$f" | cut -d= -f2-; }
  printf '| %s | %s | %s | %s | %s |\n' "$run" "$(v photos)" "$(v errors)" "$(v seconds)" "$(v photosPerSecond)"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
