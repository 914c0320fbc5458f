package com.example.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.runtime.Classification;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.KilnException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The application on a Spark standalone cluster of separate JVMs (spark/cluster/start.sh: a master,
 * two workers of one core, executors launched by the workers), submitted with Spark's own
 * SparkSubmit (spark/cluster/submit.sh) exactly as docs/spark.md shows: a head trained in client
 * mode (its export equals MLlib's probabilities on the executors), photos classified in cluster
 * mode equal to {@code local[2]} and to the plain runtime (corrupt photos are error rows), and the
 * same job with a worker and its executor killed ({@code kill -9}) mid-job gives the same rows.
 * The cluster is stopped in {@link #stopCluster()} and by a shutdown hook.
 */
class ClusterIT {

  static final String PREPROCESSING = "size=224x224;resize=center-crop;"
      + "mean=127.5,127.5,127.5;std=127.5,127.5,127.5";

  static Path repo;
  static Path fixtures;
  static Path work;
  static Path clusterDir;
  static String jar;
  static String master;
  static Thread stopHook;
  static Path model;

  @BeforeAll
  static void startCluster() throws Exception {
    repo = Path.of(System.getProperty("kiln.repo", "../..")).toRealPath();
    fixtures = Path.of(System.getProperty("kiln.fixtures", "../../../shared/fixtures"));
    skipUnless(Files.isDirectory(fixtures.resolve("datasets/hymenoptera")),
        "no fixtures at " + fixtures.toAbsolutePath() + " (the shared/ folder beside the"
        + " repository; see its README)");
    skipUnless(Files.isDirectory(repo.resolve("spark/target/spark-home/jars")),
        "no Spark jars in spark/target/spark-home/jars; run mvn install at the root first");
    jar = Path.of(System.getProperty("kiln.jar", "target/spark-batch-1.0.jar")).toRealPath()
        .toString();
    work = Path.of(System.getProperty("kiln.work", "target/cluster-it")).toAbsolutePath();
    deleteTree(work);
    Files.createDirectories(work);
    clusterDir = work.resolve("cluster");
    stopHook = new Thread(ClusterIT::stop, "stop the cluster");
    Runtime.getRuntime().addShutdownHook(stopHook);
    Run start = run("start", List.of(repo.resolve("spark/cluster/start.sh").toString()));
    assertEquals(0, start.code, start.tail());
    master = Files.readString(clusterDir.resolve("master-url")).trim();
    assertTrue(master.startsWith("spark://127.0.0.1:"), master);
    assertEquals(3, Files.readAllLines(clusterDir.resolve("pids")).size(),
        "a master and two workers");
  }

  static void skipUnless(boolean ready, String why) {
    if (!ready) {
      System.out.println("ClusterIT skipped: " + why);
    }
    assumeTrue(ready, "ClusterIT skipped: " + why);
  }

  @AfterAll
  static void stopCluster() {
    if (stopHook != null) {
      stop();
      Runtime.getRuntime().removeShutdownHook(stopHook);
    }
  }

  static void stop() {
    try {
      run("stop", List.of(repo.resolve("spark/cluster/stop.sh").toString()));
    } catch (Exception e) {
      System.err.println("ClusterIT: stop.sh failed: " + e);
    }
  }

  /** The commands of docs/spark.md, in the order they run there. */
  @Test
  void onAStandaloneClusterTheResultsEqualLocalModeEvenWhenAWorkerDies() throws Exception {
    // (b) train in client mode: 40 photos of each label, cross-validated, exported
    Path trained = work.resolve("trained");
    Run train = submit("train", "client", List.of("train",
        "--featurizer", fixtures.resolve("onnx/torch/mobilenet_v2_0.5_224_torch/"
            + "mobilenet_v2_0.5_224_torch.onnx").toString(),
        "--features-output", "pooled", "--preprocessing", PREPROCESSING,
        "--photos", fixtures.resolve("datasets/hymenoptera/train").toString(),
        "--per-label", "40", "--max-iter", "30", "--out", trained.toString()));
    assertEquals(0, train.code, train.tail());
    Properties trainReport = report(trained);
    assertEquals("80", trainReport.getProperty("photos"));
    assertEquals(master, trainReport.getProperty("master"));
    double maxDifference = Double.parseDouble(trainReport.getProperty("maxDifference"));
    assertTrue(maxDifference <= 1e-6, "export vs MLlib on the executors: " + maxDifference);
    model = trained.resolve("model.onnx");

    // (a) classify in cluster mode (the driver is a JVM a worker launched), and in local[2]
    String photos = fixtures.resolve("datasets/hymenoptera/val") + "," + fixtures.resolve("awkward");
    Path onCluster = work.resolve("classified-cluster");
    Run cluster = submit("classify-cluster", "cluster", List.of("classify", "--model",
        model.toString(), "--photos", photos, "--out", onCluster.toString()));
    assertEquals(0, cluster.code, cluster.tail());
    assertEquals(master, report(onCluster).getProperty("master"));
    Path local = work.resolve("classified-local");
    Run inLocal = submit("classify-local", null, List.of("classify", "--model",
        model.toString(), "--photos", photos, "--out", local.toString()));
    assertEquals(0, inLocal.code, inLocal.tail());

    // the executors of the finished applications are gone: the workers launch no JVM that stays
    assertEquals(List.of(), workerChildren(), "JVMs the workers launched, still running");

    // (4) the same job again, a worker and its executor killed with kill -9 while it runs
    Path faulted = work.resolve("classified-fault");
    Run fault = submitKillingAWorker(List.of("classify", "--model", model.toString(),
        "--photos", photos, "--partitions", "12", "--out", faulted.toString()));
    assertEquals(0, fault.code, fault.tail());
    System.out.println("ClusterIT: fault run report " + report(faulted));

    Map<String, Row> clusterRows;
    Map<String, Row> localRows;
    Map<String, Row> faultRows;
    SparkSession reader = SparkSession.builder().master("local[1]").appName("ClusterIT-read")
        .config("spark.ui.enabled", "false").getOrCreate();
    try {
      clusterRows = rows(reader, onCluster);
      localRows = rows(reader, local);
      faultRows = rows(reader, faulted);
    } finally {
      reader.stop();
    }
    assertEquals(83, clusterRows.size(), "73 val photos and 10 awkward files");
    assertEquals(clusterRows.keySet(), localRows.keySet());
    assertEquals(clusterRows.keySet(), faultRows.keySet());
    int errors = 0;
    try (ImageClassifier plain = ImageClassifier.load(model)) {
      for (Map.Entry<String, Row> e : clusterRows.entrySet()) {
        Row c = e.getValue();
        assertSame(c, localRows.get(e.getKey()));
        assertSame(c, faultRows.get(e.getKey()));
        Path file = Path.of(new org.apache.hadoop.fs.Path(e.getKey()).toUri());
        if (c.isNullAt(4)) {
          Classification expected = plain.classify(file);
          assertEquals(expected.best().label(), c.getString(1), e.getKey());
          assertEquals(expected.best().probability(), number(c.get(2)), 1e-6, e.getKey());
        } else { // a corrupt photo: an error row, and the runtime refuses it too
          errors++;
          assertNull(c.get(1));
          try {
            plain.classify(file);
            throw new AssertionError("the runtime read " + file + ": " + c.getString(4));
          } catch (KilnException expected) {
            assertTrue(c.getString(4).startsWith(expected.reason().name()), c.getString(4));
          }
        }
      }
    }
    assertEquals(2, errors, "the truncated JPEG and PNG of awkward/");
  }

  static void assertSame(Row expected, Row actual) {
    String path = expected.getString(0);
    assertNotNull(actual, path);
    assertEquals(expected.get(1), actual.get(1), path);
    assertEquals(expected.get(4), actual.get(4), path);
    if (!expected.isNullAt(2)) {
      assertEquals(number(expected.get(2)), number(actual.get(2)), 1e-6, path);
      List<Row> a = expected.getList(3);
      List<Row> b = actual.getList(3);
      for (int k = 0; k < a.size(); k++) {
        assertEquals(a.get(k).get(0), b.get(k).get(0), path);
        assertEquals(number(a.get(k).get(1)), number(b.get(k).get(1)), 1e-6, path);
      }
    }
  }

  static double number(Object value) {
    return ((Number) value).doubleValue();
  }

  static Map<String, Row> rows(SparkSession spark, Path parquet) {
    Map<String, Row> byPath = new TreeMap<>();
    for (Row r : spark.read().parquet(parquet.toString()).select("path", "label", "probability",
        "topK", "error").collectAsList()) {
      byPath.put(r.getString(0), r);
    }
    return byPath;
  }

  /** Submits while killing a worker and its executor (kill -9) once that executor runs a task. */
  static Run submitKillingAWorker(List<String> args) throws Exception {
    Path log = work.resolve("classify-fault.log");
    Map<String, String> workers = new TreeMap<>(); // worker-N -> pid
    for (String line : Files.readAllLines(clusterDir.resolve("pids"))) {
      if (line.startsWith("worker-")) {
        workers.put(line.split(" ")[0], line.split(" ")[1]);
      }
    }
    List<Path> before = executorStderr();
    Process p = new ProcessBuilder(submitCommand("client", args)).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    try {
      boolean killed = false;
      while (p.isAlive() && !killed) {
        for (Path e : executorStderr()) { // an executor of this job, running a task
          if (killed || before.contains(e) || !read(e).contains("Running task")) {
            continue;
          }
          String name = clusterDir.relativize(e).getName(0).toString().replace("work-",
              "worker-");
          String worker = workers.get(name);
          String children = exec("pgrep", "-P", worker).trim();
          exec("kill", "-9", worker);
          for (String child : children.split("\\s+")) {
            if (!child.isEmpty()) {
              exec("kill", "-9", child);
            }
          }
          System.out.println("ClusterIT: killed " + name + " (" + worker + ") and its executor ("
              + children + ") while " + e.getParent() + " ran a task");
          killed = true;
        }
        Thread.sleep(200);
      }
      assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the faulted job did not end");
      assertTrue(killed, "the job ended before an executor ran a task");
      String out = read(log);
      assertTrue(out.contains("Lost executor") || out.contains("ExecutorLostFailure"),
          "the driver never saw the executor go");
      return new Run(p.exitValue(), out);
    } finally {
      p.destroyForcibly();
    }
  }

  /** @return the pids of the processes the workers launched (executors, drivers) */
  static List<String> workerChildren() throws Exception {
    List<String> children = new ArrayList<>();
    for (int tries = 0; tries < 60; tries++) { // a finished application's executors stop in seconds
      children.clear();
      for (String line : Files.readAllLines(clusterDir.resolve("pids"))) {
        if (line.startsWith("worker-")) {
          for (String child : exec("pgrep", "-P", line.split(" ")[1]).split("\\s+")) {
            if (!child.isBlank()) {
              children.add(child);
            }
          }
        }
      }
      if (children.isEmpty()) {
        break;
      }
      Thread.sleep(500);
    }
    return children;
  }

  static List<Path> executorStderr() throws IOException {
    List<Path> found = new ArrayList<>();
    if (!Files.isDirectory(clusterDir)) {
      return found;
    }
    try (Stream<Path> s = Files.walk(clusterDir)) {
      s.filter(p -> p.getFileName().toString().equals("stderr")
          && p.getParent().getParent().getFileName().toString().startsWith("app-"))
          .forEach(found::add);
    }
    return found;
  }

  static Properties report(Path out) throws IOException {
    Properties p = new Properties();
    p.load(Files.newBufferedReader(out.resolve("_report.properties")));
    return p;
  }

  /** spark/cluster/submit.sh with the options of docs/spark.md; master null: local[2]. */
  static List<String> submitCommand(String deployMode, List<String> args) {
    List<String> cmd = new ArrayList<>(List.of(repo.resolve("spark/cluster/submit.sh").toString(),
        "--master", deployMode == null ? "local[2]" : master));
    if (deployMode != null) {
      cmd.addAll(List.of("--deploy-mode", deployMode, "--executor-memory", "768m"));
    }
    cmd.addAll(List.of("--driver-memory", "768m", "--conf", "spark.ui.enabled=false",
        "--class", "com.example.batch.KilnBatch", jar));
    cmd.addAll(args);
    return cmd;
  }

  static Run submit(String name, String deployMode, List<String> args) throws Exception {
    return run(name, submitCommand(deployMode, args));
  }

  record Run(int code, String output) {
    String tail() {
      return output.length() > 6000 ? output.substring(output.length() - 6000) : output;
    }
  }

  static Run run(String name, List<String> cmd) throws Exception {
    Path log = work.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("KILN_CLUSTER_DIR", clusterDir.toString());
    pb.environment().put("SPARK_HOME", repo.resolve("spark/target/spark-home").toString());
    // start.sh: if this JVM dies without its shutdown hook (kill -9), the cluster stops anyway
    pb.environment().put("KILN_CLUSTER_OWNER", Long.toString(ProcessHandle.current().pid()));
    Process p = pb.start();
    if (!p.waitFor(8, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(name + " did not end in 8 minutes: " + log);
    }
    return new Run(p.exitValue(), read(log));
  }

  static String exec(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return "";
    }
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }
}
