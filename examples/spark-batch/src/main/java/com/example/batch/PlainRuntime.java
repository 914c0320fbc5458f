package com.example.batch;

import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.KilnException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The baseline of docs/benchmarks.md: the same photos as {@code classify}, classified by
 * {@link ImageClassifier#classifyFiles} in one JVM, batches of 32, no Spark. A batch with an
 * unreadable photo is classified photo by photo (the unreadable ones count as errors). With
 * {@code --repeat N} the fastest of N passes counts (the model is loaded once, before them).
 */
final class PlainRuntime {

  private PlainRuntime() {}

  static Map<String, Object> classify(Map<String, String> o) throws IOException, KilnException {
    List<Path> photos = new ArrayList<>();
    for (String folder : KilnBatch.required(o, "photos").split(",")) {
      try (Stream<Path> s = Files.walk(Path.of(folder))) {
        s.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().toLowerCase()
            .matches(".*\\.(jpg|jpeg|png|gif|bmp)")).sorted().forEach(photos::add);
      }
    }
    double seconds = Double.MAX_VALUE;
    int errors = 0;
    try (ImageClassifier classifier = ImageClassifier.load(Path.of(KilnBatch.required(o,
        "model")))) {
      for (int run = Integer.parseInt(o.getOrDefault("repeat", "1")); run > 0; run--) {
        long start = System.nanoTime();
        errors = 0;
        for (int i = 0; i < photos.size(); i += 32) {
          List<Path> batch = photos.subList(i, Math.min(photos.size(), i + 32));
          try {
            classifier.classifyFiles(batch);
          } catch (KilnException e) {
            for (Path p : batch) {
              try {
                classifier.classify(p);
              } catch (KilnException bad) {
                errors++;
              }
            }
          }
        }
        seconds = Math.min(seconds, (System.nanoTime() - start) / 1e9);
      }
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("photos", photos.size());
    report.put("errors", errors);
    report.put("seconds", String.format("%.3f", seconds));
    report.put("photosPerSecond", String.format("%.1f", photos.size() / seconds));
    report.put("master", "none (one JVM, ImageClassifier.classifyFiles)");
    Path out = Path.of(KilnBatch.required(o, "out"));
    Files.createDirectories(out);
    StringBuilder text = new StringBuilder();
    report.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
    Files.writeString(out.resolve("_report.properties"), text, StandardCharsets.UTF_8);
    return report;
  }
}
