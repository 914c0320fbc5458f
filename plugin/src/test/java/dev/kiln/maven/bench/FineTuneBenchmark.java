package dev.kiln.maven.bench;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.train.FirstFineTune;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.maven.train.Trainer;
import dev.kiln.maven.train.TrainingRequest;
import dev.kiln.maven.train.TrainingResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A harness, not a test (issue 22 item 3): on each labelled set, MobileNetV2 α0.5 (fixture) as
 * the frozen extractor (L-BFGS head), fine-tuned with the first recipe (cached maps, a hundredth
 * of the rate, patience 10) and with the new one (photos augmented afresh each epoch, rates from a
 * range test, the blocks at a tenth, patience 3): accuracy on photos kept out of the build and
 * wall seconds, side by side in one run, each run with its own empty feature cache (so each pays
 * for its own frozen part). Kept out: hymenoptera's val/ folder; on the other sets a seeded 25 %
 * per label (as {@link AutoBenchmark}). To stay affordable on 2 cores the build sees at most
 * {@code -Dkiln.bench.perLabel} photos per label (40) and fine-tuning at most {@code
 * -Dkiln.bench.epochs} epochs (10).
 *
 * <pre>
 * mvn -q -pl plugin test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kiln.maven.bench.FineTuneBenchmark \
 *     [-Dexec.args="hymenoptera neu_steel_defects sign_language_digits"]
 * </pre>
 */
public final class FineTuneBenchmark {

  public static void main(String[] args) throws Exception {
    Path fixtures = Path.of(System.getProperty("kiln.fixtures", "../shared/fixtures"));
    if (!Files.isDirectory(fixtures)) {
      fixtures = Path.of("../../shared/fixtures");
    }
    Backbone backbone = BackboneResolver.resolve(fixtures.resolve("backbones/"
        + "mobilenet_v2_0.5_224_keras/"
        + "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5"), 224);
    int perLabel = Integer.getInteger("kiln.bench.perLabel", 40);
    int epochs = Integer.getInteger("kiln.bench.epochs", 10);
    List<String> sets = args.length > 0 ? List.of(args) : List.of("hymenoptera",
        "neu_steel_defects", "sign_language_digits");
    List<String> table = new ArrayList<>();
    table.add("| set | build photos | kept out | frozen extractor | first fine-tune |"
        + " new fine-tune | new: head's rate, epochs run (kept; 0 = the head alone) |");
    table.add("|---|---|---|---|---|---|---|");
    for (String set : sets) {
      Path root = fixtures.resolve("datasets").resolve(set);
      Dataset build;
      List<LabelledImage> keptOut;
      if (set.equals("hymenoptera")) {
        Dataset all = DatasetScanner.scan(new DatasetScanner.Request(root, List.of(), List.of(),
            0.2, 42));
        build = DatasetScanner.scan(new DatasetScanner.Request(root.resolve("train"), List.of(),
            List.of(), 0.2, 42));
        keptOut = AutoBenchmark.rebase(all.validation(), all.labels(), build.labels());
      } else {
        Dataset all = DatasetScanner.scan(new DatasetScanner.Request(root, List.of(), List.of(),
            0.25, 7));
        keptOut = all.validation();
        Path view = Files.createTempDirectory("kiln-ft-bench-" + set);
        Map<Integer, Integer> taken = new HashMap<>();
        List<LabelledImage> kept = new ArrayList<>(all.train());
        kept.sort(Comparator.comparing(LabelledImage::relativePath));
        for (LabelledImage i : kept) {
          if (taken.merge(i.label(), 1, Integer::sum) > perLabel) {
            continue;
          }
          Path link = view.resolve(i.relativePath());
          Files.createDirectories(link.getParent());
          Files.createSymbolicLink(link, i.file().toAbsolutePath());
        }
        build = DatasetScanner.scan(new DatasetScanner.Request(view, List.of(), List.of(), 0.2,
            42));
      }
      int photos = build.train().size() + build.validation().size();
      System.out.printf(Locale.ROOT, "%n== %s: %d photos in the build, %d kept out, %d labels%n",
          set, photos, keptOut.size(), build.labels().size());
      Run frozen = run("frozen extractor", set, build, keptOut, () -> Trainer.train(
          request(build, backbone, Mode.FEATURE_EXTRACTOR, epochs), ProgressListener.NONE));
      Run first = run("first fine-tune", set, build, keptOut, () -> FirstFineTune.train(
          request(build, backbone, Mode.FINE_TUNE, epochs), ProgressListener.NONE));
      List<String> lines = new ArrayList<>();
      Run now = run("new fine-tune", set, build, keptOut, () -> Trainer.train(
          request(build, backbone, Mode.FINE_TUNE, epochs), AutoBenchmark.listener(lines)));
      lines.stream().filter(l -> l.startsWith("[learning rate]") || l.startsWith("[fine-tuning]"))
          .forEach(l -> System.out.println("  " + l));
      String rate = lines.stream().filter(l -> l.startsWith("[learning rate]"))
          .map(l -> l.replaceAll(".*chosen ([^ ]+).*", "$1")).findFirst().orElse("?");
      table.add(String.format(Locale.ROOT, "| %s | %d | %d | %s | %s | %s | %s, %d (%d) |", set,
          photos, keptOut.size(), frozen.cell(), first.cell(), now.cell(), rate,
          now.result.history().size(), now.result.bestEpoch()));
    }
    System.out.println();
    table.forEach(System.out::println);
  }

  interface Training {
    TrainingResult train() throws Exception;
  }

  record Run(TrainingResult result, double accuracy, int right, int photos, double seconds) {
    String cell() {
      return String.format(Locale.ROOT, "%.1f %% (%d/%d), %.0f s", accuracy * 100, right,
          photos, seconds);
    }
  }

  static Run run(String name, String set, Dataset build, List<LabelledImage> keptOut,
      Training training) throws Exception {
    long t0 = System.nanoTime();
    TrainingResult r = training.train();
    double seconds = (System.nanoTime() - t0) / 1e9;
    double accuracy = AutoBenchmark.accuracy(r, keptOut, build.labels());
    int right = (int) Math.round(accuracy * keptOut.size());
    System.out.printf(Locale.ROOT, "  %-17s kept-out %.1f%% (%d/%d), %.0f s, estimate %s,"
            + " epochs %d (kept %d), timings %s%n", name, accuracy * 100, right,
        keptOut.size(), seconds, r.estimate().line(), r.history().size(), r.bestEpoch(),
        r.timings());
    return new Run(r, accuracy, right, keptOut.size(), seconds);
  }

  static TrainingRequest request(Dataset build, Backbone backbone, Mode mode, int epochs)
      throws java.io.IOException {
    Path cache = Files.createTempDirectory("kiln-ft-bench-cache");
    return TrainingRequest.builder(build, backbone).settings(s -> s.mode(mode).epochs(epochs)
        .cacheDir(cache)).build();
  }

  private FineTuneBenchmark() {}
}
