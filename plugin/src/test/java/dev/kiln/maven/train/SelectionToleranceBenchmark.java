package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.head.LinearHeadSelection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How tightly the head's cross-validation fits must converge (a harness, not a test): the nested
 * L2 search on every photo of a labelled set, its fold fits stopped at each gradient tolerance in
 * turn, alternating, side by side in one run — time, fits, the strength it chooses, the nested
 * estimate and how many out-of-fold predictions differ from the tightest tolerance's.
 *
 * <pre>
 * mvn -q -pl plugin exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kiln.maven.train.SelectionToleranceBenchmark \
 *     -Dexec.args="sign_language_digits eurosat_rgb hymenoptera"
 * </pre>
 *
 * Features come from {@code -Dkiln.bench.cache} (the auto benchmark's cache when it ran before).
 */
public final class SelectionToleranceBenchmark {

  private static final double[] TOLERANCES = {1e-6, 1e-4, 1e-5};

  public static void main(String[] args) throws Exception {
    Path fixtures = Path.of(System.getProperty("kiln.fixtures", "../shared/fixtures"));
    List<Backbone> backbones = dev.kiln.maven.bench.AutoBenchmark.backbones(fixtures);
    Path cache = dev.kiln.maven.bench.AutoBenchmark.cache();
    int rounds = Integer.getInteger("kiln.bench.rounds", 2);
    for (String set : args) {
      Dataset data = DatasetScanner.scan(new DatasetScanner.Request(fixtures.resolve("datasets")
          .resolve(set), List.of(), List.of(), 0.25, 7));
      List<LabelledImage> photos = new ArrayList<>(data.train());
      photos.addAll(data.validation());
      for (Backbone backbone : backbones) {
        FeatureSource.Features f;
        TrainingRequest request = TrainingRequest.builder(data, backbone)
            .settings(s -> s.cacheDir(cache)).build();
        try (TrainingRun run = TrainingRun.open(request, ProgressListener.NONE);
            FeatureSource source = run.pooledFeatures()) {
          f = source.features(photos, new ArrayList<>());
          System.out.printf(Locale.ROOT, "%n== %s, %s: %d photos, %d features (%d computed, %d"
                  + " cached)%n", set, backbone.architecture().id(), f.rows().length,
              f.rows()[0].length, source.computed(), source.cached());
        }
        String[] keys = f.images().stream().map(LabelledImage::relativePath)
            .toArray(String[]::new);
        int[] reference = null;
        for (int round = 0; round < rounds; round++) {
          for (double tolerance : TOLERANCES) {
            LinearHeadSelection.Result r = LinearHeadSelection.select(f.rows(), null, f.labels(),
                data.labels().size(), keys, 5, 42, null, LinearHeadSelection.Scoring.NESTED, tolerance);
            int[] predicted = new int[keys.length];
            for (int i = 0; i < keys.length; i++) {
              predicted[i] = LinearHeadSelection.argMax(r.outOfFold().probabilities()[i]);
            }
            if (reference == null) {
              reference = predicted;
            }
            int differ = 0;
            for (int i = 0; i < keys.length; i++) {
              differ += predicted[i] != reference[i] ? 1 : 0;
            }
            System.out.printf(Locale.ROOT, "  round %d tolerance %.0e: %6d ms, %3d fits, λ %.1e,"
                    + " estimate %s; out-of-fold predictions differing from 1e-6's: %d%n",
                round + 1, tolerance, r.millis(), r.fits(), r.lambda(), r.estimate().line(),
                differ);
          }
        }
      }
    }
  }
}
