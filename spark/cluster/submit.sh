#!/usr/bin/env bash
# Spark's own bin/spark-submit, for the SPARK_HOME start.sh uses: Spark's launcher
# (org.apache.spark.launcher.Main) builds the java command of org.apache.spark.deploy.SparkSubmit
# (driver memory, Java 17 opens, classpath $SPARK_HOME/jars/*) and this script runs it, exactly as
# bin/spark-class does. All arguments are spark-submit's:
#   spark/cluster/submit.sh --master "$(cat spark/target/cluster/master-url)" --deploy-mode cluster \
#     --class com.example.batch.KilnBatch examples/spark-batch/target/spark-batch-1.0.jar classify ...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export SPARK_HOME="${SPARK_HOME:-$here/../target/spark-home}"
SPARK_HOME="$(cd "$SPARK_HOME" && pwd)"
export SPARK_SCALA_VERSION="${SPARK_SCALA_VERSION:-$(basename "$(ls "$SPARK_HOME"/jars/spark-core_*.jar)" | sed -E 's/spark-core_([0-9.]+)-.*/\1/')}"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
export JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
mkdir -p "$SPARK_HOME/conf"
# as bin/spark-class: the launcher prints what it has to say, then "\0\n", then the command's
# arguments each ended by \0; its exit code is appended
build_command() {
  "$JAVA_HOME/bin/java" -Xmx128m -cp "$SPARK_HOME/jars/*" org.apache.spark.launcher.Main \
    org.apache.spark.deploy.SparkSubmit "$@"
  printf '%d\0' $?
}
cmd=()
delim=$'\n'
started=false
while IFS= read -d "$delim" -r arg; do
  if [[ $started == true ]]; then
    cmd+=("$arg")
  elif [[ -z "$arg" ]]; then
    delim=''
    started=true
  else
    echo "$arg"
  fi
done < <(build_command "$@")
last=$(( ${#cmd[@]} - 1 ))
rc="${cmd[$last]}"
[[ "$rc" == 0 ]] || exit "$rc"
exec "${cmd[@]:0:$last}"
