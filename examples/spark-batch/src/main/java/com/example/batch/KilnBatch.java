package com.example.batch;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.apache.spark.sql.functions.row_number;

import dev.kiln.spark.KilnClassifier;
import dev.kiln.spark.KilnFeaturizer;
import dev.kiln.spark.KilnModelExport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;

/**
 * A nightly Spark job with Kiln, as a user ships it (submit the shaded jar with spark-submit):
 *
 * <pre>
 * classify --model insects.onnx --photos DIR[,DIR...] --out results.parquet [--partitions N]
 *          [--repeat N] [--batch-size N]
 * steps --model insects.onnx --photos DIR[,DIR...] --out DIR [--partitions N,N...] [--repeat N]
 * train --featurizer featurizer.onnx --photos DIR --out DIR [--features-output NAME]
 *       [--preprocessing SPEC] [--folds N] [--max-iter N] [--per-label N]
 * runtime --model insects.onnx --photos DIR[,DIR...] --out DIR [--repeat N]
 * </pre>
 *
 * <p>{@code classify} writes one Parquet row per photo ({@code path, label, probability, topK,
 * error}); {@code train} labels each photo by its folder, featurises it with
 * {@link KilnFeaturizer}, fits MLlib's multinomial logistic regression with a
 * {@link CrossValidator}, exports the best head with {@link KilnModelExport} as
 * {@code OUT/model.onnx}, and checks the export against MLlib's probabilities on the executors.
 * Both write {@code _report.properties} beside their output (counts, timings, failed tasks).
 * {@code steps} measures what each step of {@code classify} costs ({@link StepCosts}).
 * {@code runtime} is the baseline without Spark: {@code ImageClassifier.classifyFiles} in this
 * JVM, batches of 32 (run it with {@code java -cp}, see docs/benchmarks.md).
 */
public final class KilnBatch {

  private KilnBatch() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      throw new IllegalArgumentException("usage: classify|train --option value ...");
    }
    Map<String, String> options = options(Arrays.copyOfRange(args, 1, args.length));
    if (args[0].equals("runtime")) { // the baseline: no Spark at all
      Map<String, Object> report = PlainRuntime.classify(options);
      System.out.println("kiln-batch runtime: " + report);
      return;
    }
    SparkSession spark = SparkSession.builder().appName("kiln-batch " + args[0]).getOrCreate();
    AtomicInteger failedTasks = new AtomicInteger();
    spark.sparkContext().addSparkListener(new SparkListener() {
      @Override
      public void onTaskEnd(SparkListenerTaskEnd end) {
        if (!end.taskInfo().successful()) {
          failedTasks.incrementAndGet();
        }
      }
    });
    try {
      Map<String, Object> report = switch (args[0]) {
        case "classify" -> classify(spark, options);
        case "train" -> train(spark, options);
        case "steps" -> StepCosts.measure(spark, options);
        default -> throw new IllegalArgumentException("unknown command '" + args[0]
            + "'; the commands are classify, train, steps, runtime");
      };
      report.put("failedTasks", failedTasks.get());
      report.put("master", spark.sparkContext().master());
      writeReport(spark, new Path(required(options, "out"), "_report.properties"), report);
      System.out.println("kiln-batch " + args[0] + ": " + report);
    } finally {
      spark.stop();
    }
  }

  static Map<String, Object> classify(SparkSession spark, Map<String, String> o)
      throws IOException {
    KilnClassifier classifier = KilnClassifier.of(read(spark, required(o, "model"))).setK(2);
    if (o.containsKey("batch-size")) {
      classifier.set(classifier.batchSize(), (Object) Integer.parseInt(o.get("batch-size")));
    }
    Dataset<Row> photos = photos(spark, required(o, "photos"));
    if (o.containsKey("partitions")) {
      photos = photos.repartition(Integer.parseInt(o.get("partitions")));
    }
    // --repeat N (benchmarks): the same job N times, the fastest counts (the first also starts
    // the executors' ONNX Runtime sessions)
    // the passes are numbered on stdout (ClusterIT samples the executors' memory after each)
    double seconds = Double.MAX_VALUE;
    int passes = Integer.parseInt(o.getOrDefault("repeat", "1"));
    for (int pass = 1; pass <= passes; pass++) {
      long start = System.nanoTime();
      classifier.transform(photos).select("path", "label", "probability", "topK", "error")
          .write().mode(SaveMode.Overwrite).parquet(required(o, "out"));
      double s = (System.nanoTime() - start) / 1e9;
      seconds = Math.min(seconds, s);
      System.out.printf("kiln-batch pass %d of %d: %.3f s%n", pass, passes, s);
      System.out.flush();
    }
    Dataset<Row> written = spark.read().parquet(required(o, "out"));
    long n = written.count();
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("photos", n);
    report.put("errors", written.filter(col("error").isNotNull()).count());
    report.put("seconds", String.format("%.3f", seconds));
    report.put("photosPerSecond", String.format("%.1f", n / seconds));
    return report;
  }

  static Map<String, Object> train(SparkSession spark, Map<String, String> o) throws IOException {
    KilnFeaturizer featurizer = KilnFeaturizer.of(read(spark, required(o, "featurizer")));
    if (o.containsKey("features-output")) {
      featurizer.setFeaturesOutput(o.get("features-output"));
    }
    if (o.containsKey("preprocessing")) {
      featurizer.setPreprocessing(o.get("preprocessing"));
    }
    // the label of a photo is its folder's name: DIR/ants/x.jpg is an ant
    Dataset<Row> photos = photos(spark, required(o, "photos"))
        .withColumn("species", regexp_extract(col("path"), "/([^/]+)/[^/]+$", 1));
    if (o.containsKey("per-label")) {
      // the first N photos of each label, by path; coalesced, or every later step (each of the
      // logistic regression's iterations) would run spark.sql.shuffle.partitions (200) tasks
      photos = photos.withColumn("n", row_number().over(Window.partitionBy("species")
          .orderBy("path"))).filter(col("n").leq(Integer.parseInt(o.get("per-label"))))
          .drop("n").coalesce(spark.sparkContext().defaultParallelism());
    }
    StringIndexerModel labels = new StringIndexer().setInputCol("species")
        .setOutputCol("labelIndex").setStringOrderType("alphabetAsc").fit(photos);
    Dataset<Row> features = labels.transform(featurizer.transform(photos)
        .filter(col("error").isNull())).cache();
    LogisticRegression lr = new LogisticRegression().setFamily("multinomial")
        .setElasticNetParam(0.0)
        .setMaxIter(Integer.parseInt(o.getOrDefault("max-iter", "100")))
        .setLabelCol("labelIndex");
    ParamMap[] grid = new ParamGridBuilder()
        .addGrid(lr.regParam(), new double[] {0.01, 0.1}).build();
    MulticlassClassificationEvaluator accuracy = new MulticlassClassificationEvaluator()
        .setLabelCol("labelIndex").setMetricName("accuracy");
    CrossValidatorModel cv = new CrossValidator().setEstimator(lr).setEstimatorParamMaps(grid)
        .setEvaluator(accuracy).setNumFolds(Integer.parseInt(o.getOrDefault("folds", "2")))
        .setSeed(7).fit(features);
    LogisticRegressionModel head = (LogisticRegressionModel) cv.bestModel();
    List<String> names = Arrays.asList(labels.labelsArray()[0]);
    long n = features.count();
    byte[] model = KilnModelExport.export(featurizer, head, names,
        Map.of("images", n + " photos", "trainer", "MLlib LogisticRegression, CrossValidator"));
    write(spark, new Path(required(o, "out"), "model.onnx"), model);
    // the export's probabilities against MLlib's, computed on the executors
    double maxDifference = KilnModelExport.maxDifference(model, head.transform(features),
        "content", "probability");
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("photos", n);
    report.put("labels", String.join(",", names));
    report.put("regParam", head.getRegParam());
    report.put("cvAccuracy", Arrays.stream(cv.avgMetrics()).max().orElse(Double.NaN));
    report.put("maxDifference", maxDifference);
    return report;
  }

  /** @return the photos under the comma-separated folders, as binaryFile reads them */
  static Dataset<Row> photos(SparkSession spark, String folders) {
    return spark.read().format("binaryFile")
        .option("pathGlobFilter", "*.{jpg,jpeg,png,gif,bmp,JPG,JPEG,PNG}")
        .option("recursiveFileLookup", "true").load(folders.split(","));
  }

  static byte[] read(SparkSession spark, String file) throws IOException {
    Path p = new Path(file);
    try (InputStream in = p.getFileSystem(spark.sparkContext().hadoopConfiguration()).open(p)) {
      return in.readAllBytes();
    }
  }

  static void write(SparkSession spark, Path p, byte[] bytes) throws IOException {
    FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
    try (OutputStream out = fs.create(p, true)) {
      out.write(bytes);
    }
  }

  static void writeReport(SparkSession spark, Path p, Map<String, Object> report)
      throws IOException {
    StringBuilder text = new StringBuilder();
    report.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
    write(spark, p, text.toString().getBytes(StandardCharsets.UTF_8));
  }

  static Map<String, String> options(String[] args) {
    Map<String, String> o = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --option value, got '" + args[i] + "'");
      }
      o.put(args[i].substring(2), args[i + 1]);
    }
    return o;
  }

  static String required(Map<String, String> o, String name) {
    String v = o.get(name);
    if (v == null) {
      throw new IllegalArgumentException("missing --" + name + "; the options given are "
          + o.keySet());
    }
    return v;
  }
}
