package com.example.batch;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.sum;

import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.image.ImageDecoder;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.spark.KilnClassifier;
import java.awt.image.BufferedImage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code steps} command (docs/benchmarks.md): what each step of {@code classify} costs, by
 * running the job cut after each step in the same application, for each partition count given
 * ({@code --partitions 2,4,8,32}): {@code read} (the files' bytes through the repartition's
 * shuffle, summed), {@code decode} (plus {@link ImageDecoder#decode} of each photo), {@code
 * classify} ({@link KilnClassifier}: decode, fit, ONNX Runtime, result rows; written to Spark's
 * {@code noop} sink) and {@code parquet} (the full job: the same rows written as Parquet). A step's
 * cost is the difference between its time and the previous one's. Then {@code write}: the same
 * rows classified and cached first, their Parquet write alone. Each is the fastest of {@code
 * --repeat} passes; one classify pass before all of them loads the executors' sessions.
 */
final class StepCosts {

  private static final List<String> STEPS = List.of("read", "decode", "classify", "parquet");

  private StepCosts() {}

  static Map<String, Object> measure(SparkSession spark, Map<String, String> o) throws Exception {
    byte[] model = KilnBatch.read(spark, KilnBatch.required(o, "model"));
    KilnClassifier classifier = KilnClassifier.of(model).setK(2);
    int minSide;
    try (ImageClassifier c = ImageClassifier.load(model, "steps",
        ClassifierOptions.defaults())) {
      Preprocessing spec = c.metadata().preprocessing();
      minSide = Math.min(spec.width(), spec.height());
    }
    Dataset<Row> all = KilnBatch.photos(spark, KilnBatch.required(o, "photos"));
    String out = KilnBatch.required(o, "out");
    int repeat = Integer.parseInt(o.getOrDefault("repeat", "1"));
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("photos", all.count());
    run(classifier, all.repartition(2), minSide, "classify", out); // warm-up
    for (String p : o.getOrDefault("partitions", "4").split(",")) {
      Dataset<Row> photos = all.repartition(Integer.parseInt(p.trim()));
      for (String step : STEPS) {
        double best = Double.MAX_VALUE;
        for (int r = 0; r < repeat; r++) {
          long start = System.nanoTime();
          run(classifier, photos, minSide, step, out);
          best = Math.min(best, (System.nanoTime() - start) / 1e9);
        }
        report.put("p" + p.trim() + "." + step, String.format("%.3f", best));
        System.out.println("kiln-batch steps: " + p.trim() + " partitions, " + step + " "
            + String.format("%.3f", best) + " s");
      }
      // the Parquet write alone: the same rows, classified and cached first
      Dataset<Row> rows = classifier.transform(photos)
          .select("path", "label", "probability", "topK", "error").cache();
      rows.count();
      double best = Double.MAX_VALUE;
      for (int r = 0; r < repeat; r++) {
        long start = System.nanoTime();
        rows.write().mode(SaveMode.Overwrite).parquet(out);
        best = Math.min(best, (System.nanoTime() - start) / 1e9);
      }
      rows.unpersist(true);
      report.put("p" + p.trim() + ".write", String.format("%.3f", best));
      System.out.println("kiln-batch steps: " + p.trim() + " partitions, write (cached rows)"
          + " " + String.format("%.3f", best) + " s");
    }
    return report;
  }

  private static void run(KilnClassifier classifier, Dataset<Row> photos, int minSide,
      String step, String out) {
    switch (step) {
      case "read" -> photos.agg(sum(length(col("content")))).collectAsList();
      case "decode" -> photos.select("path", "content").mapPartitions(decoded(minSide),
          Encoders.INT()).agg(sum(col("value"))).collectAsList();
      case "classify" -> classifier.transform(photos)
          .select("path", "label", "probability", "topK", "error")
          .write().format("noop").mode(SaveMode.Overwrite).save();
      case "parquet" -> classifier.transform(photos)
          .select("path", "label", "probability", "topK", "error")
          .write().mode(SaveMode.Overwrite).parquet(out);
      default -> throw new IllegalArgumentException("unknown step " + step);
    }
  }

  /** @return per partition, the number of pixels decoded (so nothing is optimised away) */
  private static MapPartitionsFunction<Row, Integer> decoded(int minSide) {
    return rows -> {
      int pixels = 0;
      while (rows.hasNext()) {
        Row r = rows.next();
        try {
          BufferedImage i = ImageDecoder.decode((byte[]) r.get(1), r.getString(0),
              minSide);
          pixels += i.getWidth() * i.getHeight();
        } catch (KilnException e) {
          // an unreadable photo: the classify job makes it an error row
        }
      }
      return List.of(pixels).iterator();
    };
  }
}
