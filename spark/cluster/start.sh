#!/usr/bin/env bash
# Starts a Spark standalone cluster on this machine from Maven Central's Spark jars: one master
# and two workers, each its own JVM, bound to 127.0.0.1 on free ports; the workers launch the
# executors (and, in --deploy-mode cluster, the driver) as JVMs of their own, as on a real cluster.
#
#   mvn -B -Dmaven.repo.local=... -pl spark package -DskipTests   # fills spark/target/spark-home/jars
#   spark/cluster/start.sh          # prints the master URL, e.g. spark://127.0.0.1:40123
#   spark/cluster/stop.sh
#   spark/cluster/start.sh --worker 1   # starts worker 1 again (after it died) on the running cluster
#
# Settings (environment): KILN_CLUSTER_DIR (state, logs, work dirs; default spark/target/cluster),
# SPARK_HOME (default spark/target/spark-home), KILN_WORKERS (2), KILN_WORKER_CORES (1),
# KILN_WORKER_MEMORY (1536m: the executor's heap, plus the driver's in cluster mode, must fit),
# KILN_CLUSTER_OWNER (a pid: when that process ends, however it ends, stop.sh runs; tests set it
# so that even a test JVM killed with -9 leaves no Spark JVM behind).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export SPARK_HOME="${SPARK_HOME:-$here/../target/spark-home}"
SPARK_HOME="$(cd "$SPARK_HOME" 2>/dev/null && pwd || echo "$SPARK_HOME")"
state="${KILN_CLUSTER_DIR:-$here/../target/cluster}"
workers="${KILN_WORKERS:-2}"
cores="${KILN_WORKER_CORES:-1}"
memory="${KILN_WORKER_MEMORY:-1536m}"

if ! ls "$SPARK_HOME"/jars/spark-core_*.jar >/dev/null 2>&1; then
  echo "start.sh: no Spark jars in $SPARK_HOME/jars; build them first:" >&2
  echo "  mvn -B -pl spark package -DskipTests" >&2
  exit 2
fi
mkdir -p "$state"
state="$(cd "$state" && pwd)"
again=""
if [[ "${1:-}" == "--worker" ]]; then
  again="${2:?start.sh --worker N: which worker}"
  if [[ ! -s "$state/pids" || ! -s "$state/master-url" ]]; then
    echo "start.sh --worker $again: no cluster recorded in $state; run start.sh first" >&2
    exit 2
  fi
  old="$(grep "^worker-$again " "$state/pids" | cut -d' ' -f2 || true)"
  if [[ -z "$old" ]]; then
    echo "start.sh --worker $again: $state/pids records no worker-$again" >&2
    exit 2
  fi
  if kill -0 "$old" 2>/dev/null; then
    echo "start.sh --worker $again: worker-$again ($old) is still running" >&2
    exit 2
  fi
elif [[ -s "$state/pids" ]]; then
  echo "start.sh: a cluster is already recorded in $state/pids; run stop.sh first" >&2
  exit 2
fi

# what Spark's own sbin/spark-daemon.sh and bin/load-spark-env.sh set
export SPARK_SCALA_VERSION="${SPARK_SCALA_VERSION:-$(basename "$(ls "$SPARK_HOME"/jars/spark-core_*.jar)" | sed -E 's/spark-core_([0-9.]+)-.*/\1/')}"
export SPARK_LOCAL_IP=127.0.0.1
export SPARK_LOCAL_DIRS="$state/local"
export JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
mkdir -p "$SPARK_HOME/conf" "$state/logs" "$state/local"
# Java 17: the opens Spark's launcher adds (JavaModuleOptions); executors get them from the driver
opens="-XX:+IgnoreUnrecognizedVMOptions --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED"
cp="$SPARK_HOME/conf:$SPARK_HOME/jars/*"
# what a cluster's admin puts in conf/spark-defaults.conf (SparkSubmit reads it):
# - a driver that a worker launches (--deploy-mode cluster) is started by DriverWrapper without
#   the Java 17 opens Spark's launcher gives client-mode drivers, and fails in StorageUtils
#   (IllegalAccessError: sun.nio.ch.DirectBuffer) unless spark.driver.extraJavaOptions has them;
# - spark-submit of a cluster-mode driver waits for it and fails when it fails.
cat > "$SPARK_HOME/conf/spark-defaults.conf" <<CONF
spark.driver.extraJavaOptions $opens
spark.standalone.submit.waitAppCompletion true
CONF

started=()
cleanup_on_failure() {
  echo "start.sh: the cluster did not come up; logs in $state/logs" >&2
  for p in "${started[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -f "$state/pids"
}

# $1 name, $2 log, rest: main class and arguments
launch() {
  local name="$1" log="$2"; shift 2
  # setsid: the daemons outlive this script and a Ctrl-C in its terminal, like spark-daemon.sh's nohup
  setsid "$JAVA_HOME/bin/java" -Xmx256m $opens -cp "$cp" "$@" >"$log" 2>&1 < /dev/null &
  local pid=$!
  started+=("$pid")
  echo "$name $pid" >> "$state/pids"
}

# $1 log, $2 pattern: waits up to 90 s for the pattern, failing early if the JVM died
await() {
  local log="$1" pattern="$2" pid="$3"
  for _ in $(seq 1 180); do
    if grep -q -E "$pattern" "$log" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then tail -20 "$log" >&2; return 1; fi
    sleep 0.5
  done
  tail -20 "$log" >&2
  return 1
}

# $1 worker number, $2 master URL
launch_worker() {
  mkdir -p "$state/work-$1"
  launch "worker-$1" "$state/logs/worker-$1.log" org.apache.spark.deploy.worker.Worker \
    --host 127.0.0.1 --port 0 --webui-port 0 --cores "$cores" --memory "$memory" \
    --work-dir "$state/work-$1" "$2"
}

if [[ -n "$again" ]]; then # one worker again: its new pid replaces the dead one's in pids
  url="$(cat "$state/master-url")"
  grep -v "^worker-$again " "$state/pids" > "$state/pids.new"
  mv "$state/pids.new" "$state/pids"
  mv "$state/logs/worker-$again.log" "$state/logs/worker-$again.log.$old" 2>/dev/null || true
  launch_worker "$again" "$url"
  if ! await "$state/logs/worker-$again.log" "Successfully registered with master" \
      "${started[0]}"; then
    echo "start.sh --worker $again: the worker did not register; logs in $state/logs" >&2
    exit 1
  fi
  echo "$url"
  exit 0
fi

: > "$state/pids"
launch master "$state/logs/master.log" org.apache.spark.deploy.master.Master \
  --host 127.0.0.1 --port 0 --webui-port 0
master_pid="${started[0]}"
if ! await "$state/logs/master.log" "Starting Spark master at spark://" "$master_pid"; then
  cleanup_on_failure; exit 1
fi
url="$(grep -o -E "spark://127\.0\.0\.1:[0-9]+" "$state/logs/master.log" | head -1)"
echo "$url" > "$state/master-url"

for i in $(seq 1 "$workers"); do
  launch_worker "$i" "$url"
done
for i in $(seq 1 "$workers"); do
  if ! await "$state/logs/worker-$i.log" "Successfully registered with master" "${started[$i]}"; then
    cleanup_on_failure; exit 1
  fi
done
if [[ -n "${KILN_CLUSTER_OWNER:-}" ]]; then
  owner="$KILN_CLUSTER_OWNER"
  KILN_CLUSTER_DIR="$state" setsid bash -c "while kill -0 $owner 2>/dev/null; do sleep 2; done; \
    '$here/stop.sh'" > "$state/logs/owner-watch.log" 2>&1 < /dev/null &
  echo $! > "$state/watch-pid"
fi
echo "$url"
