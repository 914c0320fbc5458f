package dev.kiln.spark;

import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.ImageClassifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Throughput, side by side in one run on the same photos and model: {@link KilnClassifier} in
 * Spark local mode ({@code local[2]}) against {@link ImageClassifier#classifyFiles} in one JVM
 * (batches of 32), and {@link KilnFeaturizer}'s photos/s. The photos: hymenoptera train/ and
 * val/ (318), read three times. The model: the one the spark tests export
 * ({@code spark/target/spark-trained/insects.onnx}). Each measurement after one warm-up pass;
 * the best of three.
 *
 * <pre>
 * mvn -q install -Dkiln.it.skip          # runs the spark tests, which write the model
 * mvn -q -pl spark exec:exec -Dexec.executable=java \
 *     -Dexec.args="--add-opens=java.base/sun.nio.ch=ALL-UNNAMED ... -cp %classpath dev.kiln.spark.SparkBenchmark"
 * </pre>
 */
public final class SparkBenchmark {

  private SparkBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path model = Path.of(args.length > 0 ? args[0] : "spark/target/spark-trained/insects.onnx");
    byte[] bytes = Files.readAllBytes(model);
    List<Path> photos = new ArrayList<>();
    for (String side : List.of("train", "val")) {
      try (Stream<Path> s = Files.walk(Fixtures.hymenoptera().resolve(side))) {
        s.filter(p -> p.toString().matches(".*\\.(jpg|jpeg|png|gif|bmp)$")).sorted()
            .forEach(photos::add);
      }
    }
    List<Path> thrice = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      thrice.addAll(photos);
    }
    int n = thrice.size();

    double plain = 0;
    try (ImageClassifier c = ImageClassifier.load(bytes, "benchmark",
        ClassifierOptions.defaults())) {
      for (int run = 0; run < 4; run++) {
        long t0 = System.nanoTime();
        for (int from = 0; from < n; from += 32) {
          c.classifyFiles(thrice.subList(from, Math.min(n, from + 32)));
        }
        double rate = n / ((System.nanoTime() - t0) / 1e9);
        plain = run == 0 ? 0 : Math.max(plain, rate); // run 0 warms up
      }
    }

    SparkSession spark = SparkSession.builder().master("local[2]").appName("kiln-benchmark")
        .config("spark.ui.enabled", "false").getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    Dataset<Row> one = spark.read().format("binaryFile")
        .option("pathGlobFilter", "*.{jpg,jpeg,png,gif,bmp}")
        .option("recursiveFileLookup", "true").load(Fixtures.hymenoptera().toString());
    Dataset<Row> in = one.union(one).union(one).repartition(4).cache();
    long rows = in.count();
    double classify = best(() -> KilnClassifier.of(bytes).transform(in), rows);
    KilnFeaturizer featurizer = KilnFeaturizer.of(Files.readAllBytes(Fixtures.root().resolve(
        "onnx/torch/mobilenet_v2_0.5_224_torch/mobilenet_v2_0.5_224_torch.onnx")))
        .setFeaturesOutput("pooled").setPreprocessing(SparkPipelineTest.PREPROCESSING);
    double featurize = best(() -> featurizer.transform(in), rows);
    spark.stop();
    System.out.printf(Locale.ROOT, "photos: %d (hymenoptera train/ + val/, three times), %d"
        + " cores%n", rows, Runtime.getRuntime().availableProcessors());
    System.out.printf(Locale.ROOT, "ImageClassifier.classifyFiles, one JVM:  %.1f photos/s%n",
        plain);
    System.out.printf(Locale.ROOT, "KilnClassifier, Spark local[2]:         %.1f photos/s"
        + "  (ratio %.2f)%n", classify, classify / plain);
    System.out.printf(Locale.ROOT, "KilnFeaturizer, Spark local[2]:         %.1f photos/s%n",
        featurize);
  }

  private static double best(java.util.function.Supplier<Dataset<Row>> job, long rows) {
    double best = 0;
    for (int run = 0; run < 4; run++) {
      long t0 = System.nanoTime();
      job.get().write().format("noop").mode("overwrite").save();
      double rate = rows / ((System.nanoTime() - t0) / 1e9);
      best = run == 0 ? 0 : Math.max(best, rate);
    }
    return best;
  }
}
