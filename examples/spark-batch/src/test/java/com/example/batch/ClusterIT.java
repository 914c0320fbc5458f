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
 * mode equal to {@code local[2]} and to the plain runtime (corrupt photos are error rows); an
 * executor's memory flat over 20 batches and every session an executor opened closed when it
 * ended; the training and the classify job, each with a worker and its executor killed
 * ({@code kill -9}) mid-job, give the same model and the same rows. The cluster is stopped in
 * {@link #stopCluster()} and by a shutdown hook. With {@code -Pspark4} it runs on Spark 4's jars.
 */
class ClusterIT {

  static final String PREPROCESSING = "size=224x224;resize=center-crop;"
      + "mean=127.5,127.5,127.5;std=127.5,127.5,127.5";

  static Path repo;
  static Path sparkHome;
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
    // -Pspark4: the Spark 4 jars (docs/spark.md)
    sparkHome = repo.resolve(System.getProperty("kiln.sparkHome", "spark/target/spark-home"));
    skipUnless(Files.isDirectory(sparkHome.resolve("jars")),
        "no Spark jars in " + sparkHome + "/jars; run mvn install at the root first");
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
    Run train = submit("train", "client", trainArgs(trained));
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

    // (4) an executor's memory stays flat over 20 batches, and every executor closed the
    // sessions it opened (each executor's kiln-sessions.log, in its work directory)
    executorMemoryStaysFlat();
    assertEquals(List.of(), workerChildren(), "JVMs the workers launched, still running");
    assertSessionsClosed(4); // the train, classify-cluster and soak applications' executors

    // (4) the train job again, a worker and its executor killed with kill -9 while it runs: the
    // exported model gives the same probabilities
    Path trainedAgain = work.resolve("trained-fault");
    // killed once its executor reads its cached features ("Found block rdd_…"): the logistic
    // regression's iterations are running, and the lost partition of features has to be computed
    // again from its photos on the other executor
    String killed = submitKillingAWorker("train-fault", trainArgs(trainedAgain),
        "Found block rdd_").killed;
    Properties again = report(trainedAgain);
    System.out.println("ClusterIT: train fault run report " + again);
    assertEquals("80", again.getProperty("photos"));
    assertEquals(trainReport.getProperty("regParam"), again.getProperty("regParam"));
    assertTrue(Double.parseDouble(again.getProperty("maxDifference")) <= 1e-6, again.toString());
    assertSameProbabilities(model, trainedAgain.resolve("model.onnx"),
        fixtures.resolve("datasets/hymenoptera/val"));
    // the killed worker started again, so that the next fault has a worker left to go on with
    Run restart = run("restart-" + killed, List.of(repo.resolve("spark/cluster/start.sh")
        .toString(), "--worker", killed.replace("worker-", "")));
    assertEquals(0, restart.code, restart.tail());

    // (4) the classify job again, a worker and its executor killed with kill -9 while it runs
    Path faulted = work.resolve("classified-fault");
    submitKillingAWorker("classify-fault", List.of("classify", "--model", model.toString(),
        "--photos", photos, "--partitions", "12", "--out", faulted.toString()), "Running task");
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

  /** (b): 40 photos of each label, cross-validated, exported into {@code out} */
  static List<String> trainArgs(Path out) {
    return List.of("train",
        "--featurizer", fixtures.resolve("onnx/torch/mobilenet_v2_0.5_224_torch/"
            + "mobilenet_v2_0.5_224_torch.onnx").toString(),
        "--features-output", "pooled", "--preprocessing", PREPROCESSING,
        "--photos", fixtures.resolve("datasets/hymenoptera/train").toString(),
        "--per-label", "40", "--max-iter", "30", "--out", out.toString());
  }

  /** Both models give every photo of the folder (and its subfolders) the same probabilities. */
  static void assertSameProbabilities(Path expected, Path actual, Path folder) throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.walk(folder)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    }
    double worst = 0;
    try (ImageClassifier a = ImageClassifier.load(expected);
        ImageClassifier b = ImageClassifier.load(actual)) {
      assertEquals(a.metadata().labels(), b.metadata().labels());
      for (Path f : files) {
        Classification x = a.classify(f);
        Classification y = b.classify(f);
        for (String label : a.metadata().labels()) {
          worst = Math.max(worst, Math.abs(x.probability(label) - y.probability(label)));
        }
      }
    }
    System.out.println("ClusterIT: the killed-worker training's model vs the undisturbed one on "
        + files.size() + " photos of " + folder + ": max |difference| " + worst);
    assertTrue(worst <= 1e-6, "probabilities differ by " + worst);
  }

  static final int SOAK_PASSES = 22;

  /**
   * The classify job {@value #SOAK_PASSES} times in one application (2 partitions, one batch
   * each per pass) on the 37 ant photos of val/, the executors' resident memory ({@code VmRSS} of
   * /proc/PID/status) read after every pass, and Native Memory Tracking's committed total after
   * passes 5 and 20. The executors' heaps are committed and touched at start ({@code -Xms} =
   * {@code -Xmx}, {@code -XX:+AlwaysPreTouch}), so RSS only grows with memory outside the heap:
   * ONNX Runtime's, the decoders', the JVM's own. The bound: growth from pass 5 to 20 under 64 MB.
   * A batch of 18 photos is a 10.8 MB input tensor and a session a few MB of weights plus its
   * arena, so leaking either once per batch would add 160 MB or more over those 15 batches; what
   * does grow is mostly the JVM warming up (measured 4-30 MB in six runs, of which NMT puts about
   * 9 MB in the JIT's code cache and 2 MB in metaspace; 60-pass runs, examples/spark-batch/soak.sh,
   * slow to 60-230 kB a pass after pass 40).
   */
  static void executorMemoryStaysFlat() throws Exception {
    Path out = work.resolve("classified-soak");
    Path log = work.resolve("classify-soak.log");
    List<String> args = List.of("classify", "--model", model.toString(), "--photos",
        fixtures.resolve("datasets/hymenoptera/val/ants").toString(), "--partitions", "2",
        "--batch-size", "64", "--repeat", Integer.toString(SOAK_PASSES), "--out", out.toString());
    Process p = processBuilder(submitCommand("client", args, "-Xms768m -XX:+AlwaysPreTouch"
        + " -XX:NativeMemoryTracking=summary")).redirectOutput(log.toFile()).start();
    Map<String, TreeMap<Integer, Long>> rss = new TreeMap<>(); // executor pid -> pass -> kB
    Map<String, TreeMap<Integer, Long>> nmt = new TreeMap<>(); // executor pid -> pass -> kB
    try {
      int seen = 0;
      while (p.isAlive()) {
        int pass = lastPass(read(log));
        if (pass > seen) {
          seen = pass;
          for (String pid : workerChildren(1)) {
            long kb = residentKb(pid);
            if (kb > 0) {
              rss.computeIfAbsent(pid, k -> new TreeMap<>()).put(pass, kb);
            }
            if (pass == 5 || pass == 20) {
              nmt.computeIfAbsent(pid, k -> new TreeMap<>()).put(pass, nmtCommittedKb(pid));
            }
          }
        }
        Thread.sleep(100);
      }
      assertEquals(0, p.waitFor(), read(log));
    } finally {
      p.destroyForcibly();
    }
    assertEquals(2, rss.size(), "two executors: " + rss);
    for (Map.Entry<String, TreeMap<Integer, Long>> e : rss.entrySet()) {
      TreeMap<Integer, Long> r = e.getValue();
      Long at5 = r.get(5);
      Long at20 = r.get(20);
      assertNotNull(at5, "no RSS after pass 5: " + r);
      assertNotNull(at20, "no RSS after pass 20: " + r);
      TreeMap<Integer, Long> n = nmt.getOrDefault(e.getKey(), new TreeMap<>());
      long jvm = n.containsKey(5) && n.containsKey(20) ? n.get(20) - n.get(5) : Long.MIN_VALUE;
      System.out.println("ClusterIT: executor " + e.getKey() + " RSS (kB) by pass " + r
          + "; passes 5 to 20: RSS " + (at20 - at5) + " kB, of which NMT committed (the JVM's"
          + " own, heap included) " + (jvm == Long.MIN_VALUE ? "unknown" : jvm + " kB")
          + "; NMT committed by pass " + n);
      assertTrue(at20 - at5 < 64 * 1024, "executor " + e.getKey() + "'s RSS grew by "
          + (at20 - at5) + " kB from pass 5 to 20: " + r);
    }
  }

  /** @return the last pass the driver's log has finished ({@code kiln-batch pass N of M}) */
  static int lastPass(String log) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("kiln-batch pass (\\d+) of")
        .matcher(log);
    int last = 0;
    while (m.find()) {
      last = Integer.parseInt(m.group(1));
    }
    return last;
  }

  static long residentKb(String pid) {
    for (String line : read(Path.of("/proc", pid, "status")).split("\n")) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  /** @return the total committed of {@code jcmd PID VM.native_memory summary}, -1 if none */
  static long nmtCommittedKb(String pid) throws Exception {
    String out = exec("jcmd", pid, "VM.native_memory", "summary");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(
        "Total: reserved=(\\d+)KB, committed=(\\d+)KB").matcher(out);
    return m.find() ? Long.parseLong(m.group(2)) : -1;
  }

  /**
   * Every executor of the finished applications whose {@code kiln-sessions.log} says it opened
   * sessions also says it closed each of them (the executors killed with -9 aside: none yet).
   */
  static void assertSessionsClosed(int atLeast) throws IOException {
    int executors = 0;
    for (Path stderr : executorStderr()) {
      Path sessions = stderr.resolveSibling("kiln-sessions.log");
      if (!Files.exists(sessions)) {
        continue;
      }
      List<String> lines = Files.readAllLines(sessions);
      List<String> opened = lines.stream().filter(l -> l.startsWith("opened "))
          .map(l -> l.substring(7)).sorted().toList();
      List<String> closed = lines.stream().filter(l -> l.startsWith("closed "))
          .map(l -> l.substring(7)).sorted().toList();
      assertEquals(opened, closed, sessions + ": every session opened is closed");
      executors++;
    }
    System.out.println("ClusterIT: " + executors + " executors closed every session they opened");
    assertTrue(executors >= atLeast, executors + " executors wrote kiln-sessions.log");
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

  /** What a run with a worker killed gave: its output and the worker killed. */
  record Fault(String output, String killed) {}

  /**
   * Submits in client mode while killing a worker and its executor (kill -9) once that executor's
   * stderr has {@code when}; asserts the job succeeded after the driver saw the executor go.
   */
  static Fault submitKillingAWorker(String name, List<String> args, String when)
      throws Exception {
    Path log = work.resolve(name + ".log");
    Map<String, String> workers = new TreeMap<>(); // worker-N -> pid
    for (String line : Files.readAllLines(clusterDir.resolve("pids"))) {
      if (line.startsWith("worker-")) {
        workers.put(line.split(" ")[0], line.split(" ")[1]);
      }
    }
    List<Path> before = executorStderr();
    Process p = processBuilder(submitCommand("client", args)).redirectOutput(log.toFile())
        .start();
    try {
      boolean killed = false;
      String which = null;
      while (p.isAlive() && !killed) {
        for (Path e : executorStderr()) { // an executor of this job, running a task
          if (killed || before.contains(e) || !read(e).contains(when)) {
            continue;
          }
          String worker = clusterDir.relativize(e).getName(0).toString().replace("work-",
              "worker-");
          String pid = workers.get(worker);
          String children = exec("pgrep", "-P", pid).trim();
          exec("kill", "-9", pid);
          for (String child : children.split("\\s+")) {
            if (!child.isEmpty()) {
              exec("kill", "-9", child);
            }
          }
          System.out.println("ClusterIT: killed " + worker + " (" + pid + ") and its executor ("
              + children + ") while " + e.getParent() + " had '" + when + "' in " + name);
          killed = true;
          which = worker;
        }
        Thread.sleep(200);
      }
      assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the faulted job did not end");
      assertTrue(killed, "the job ended before an executor's stderr had '" + when + "'");
      String out = read(log);
      assertEquals(0, p.exitValue(), new Run(p.exitValue(), out).tail());
      assertTrue(out.contains("Lost executor") || out.contains("ExecutorLostFailure"),
          "the driver never saw the executor go");
      out.lines().filter(l -> l.contains("Lost executor") || l.contains("Resubmitting")
          || l.contains("failed because while it was being computed")).limit(6)
          .forEach(l -> System.out.println("ClusterIT: " + name + ": " + l));
      return new Fault(out, which);
    } finally {
      p.destroyForcibly();
    }
  }

  /** @return the pids of the processes the workers launched (executors, drivers) */
  static List<String> workerChildren() throws Exception {
    return workerChildren(60); // a finished application's executors stop in seconds
  }

  /** @return the pids of the processes the workers launched, tried until none (0.5 s apart) */
  static List<String> workerChildren(int tries) throws Exception {
    List<String> children = new ArrayList<>();
    for (int t = 0; t < tries; t++) {
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
      if (children.isEmpty() || t == tries - 1) {
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
    return submitCommand(deployMode, args, "");
  }

  /**
   * As docs/spark.md: each executor records the sessions it opens and closes in
   * {@code kiln-sessions.log} in its work directory; {@code executorOptions} are more of its
   * java options.
   */
  static List<String> submitCommand(String deployMode, List<String> args,
      String executorOptions) {
    List<String> cmd = new ArrayList<>(List.of(repo.resolve("spark/cluster/submit.sh").toString(),
        "--master", deployMode == null ? "local[2]" : master));
    if (deployMode != null) {
      cmd.addAll(List.of("--deploy-mode", deployMode, "--executor-memory", "768m", "--conf",
          ("spark.executor.extraJavaOptions=-Dkiln.spark.sessionLog=kiln-sessions.log "
          + executorOptions).trim()));
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
    Process p = processBuilder(cmd).redirectOutput(log.toFile()).start();
    if (!p.waitFor(8, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(name + " did not end in 8 minutes: " + log);
    }
    return new Run(p.exitValue(), read(log));
  }

  /** @return a process of the cluster's scripts: this cluster's directory and SPARK_HOME */
  static ProcessBuilder processBuilder(List<String> cmd) {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("KILN_CLUSTER_DIR", clusterDir.toString());
    pb.environment().put("SPARK_HOME", sparkHome.toString());
    // start.sh: if this JVM dies without its shutdown hook (kill -9), the cluster stops anyway
    pb.environment().put("KILN_CLUSTER_OWNER", Long.toString(ProcessHandle.current().pid()));
    return pb;
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
