package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.dataset.PhotoSource;
import dev.kiln.maven.head.LinearHeadSelection;
import dev.kiln.maven.suspects.ConfidentLearning;
import dev.kiln.maven.suspects.SuspectedLabel;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Issue 23 benchmark (a harness, not a test): suspected wrong labels against known flipped
 * labels, on cached frozen features of labelled fixture sets.
 *
 * <pre>
 * mvn -q -Dmaven.repo.local=... install -DskipTests -Dkiln.it.skip
 * mvn -q -pl plugin exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kiln.maven.train.NextStepsBenchmark \
 *     -Dkiln.bench.sets=hymenoptera/train,neu_steel_defects,eurosat_rgb
 * </pre>
 *
 * For each set: 5 % of the photos (chosen at random, seeded) get a random other label; the
 * nested cross-validation runs on the flipped labels as a build would; confident learning ranks
 * the suspects; precision and recall of the top k (k = the number flipped) and of the whole list
 * against the flipped photos, over several seeds.
 */
public final class NextStepsBenchmark {

  static final int REPEATS = Integer.getInteger("kiln.bench.repeats", 5);

  public static void main(String[] args) throws Exception {
    Path fixtures = Path.of(System.getProperty("kiln.fixtures", "../shared/fixtures"));
    if (!Files.isDirectory(fixtures)) {
      fixtures = Path.of("../../shared/fixtures");
    }
    Backbone backbone = BackboneResolver.resolve(fixtures.resolve(System.getProperty(
        "kiln.bench.backbone", "backbones/mobilenet_v1_0.25_224_keras/mobilenet_2_5_224_tf_no_top.h5"))
        .toString(), Path.of("."), 224);
    Path cache = Path.of(System.getProperty("kiln.bench.cache",
        System.getProperty("java.io.tmpdir") + "/kiln-next-bench-cache"));
    Files.createDirectories(cache);
    System.out.println("backbone " + backbone.architecture().id() + ", L-BFGS head, nested 5-fold");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (String set : System.getProperty("kiln.bench.sets",
          "hymenoptera/train,neu_steel_defects").split(",")) {
        Set<String> what = Set.of(System.getProperty("kiln.bench.what", "suspects").split(","));
        Features f = features(fixtures.resolve("datasets").resolve(set), backbone, cache, pool);
        System.out.printf(Locale.ROOT, "%s: %d photos, %d labels%n", set, f.y.length,
            f.labels.size());
        if (what.contains("suspects")) {
          suspects(f);
        }
        if (what.contains("curve")) {
          curve(f);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Frozen features of every photo of a set. */
  record Features(List<String> labels, float[][] x, int[] y, String[] keys) {}

  static Features features(Path root, Backbone backbone, Path cache, ExecutorService pool)
      throws Exception {
    Dataset d = DatasetScanner.scan(new DatasetScanner.Request(root, List.of(), List.of(), 0.2,
        42));
    List<LabelledImage> photos = new ArrayList<>(d.train());
    photos.addAll(d.validation());
    Preprocessing raw = Preprocessing.raw(224, Preprocessing.Resize.CENTER_CROP);
    String cut = backbone.architecture().lastFeatureLayer();
    FeatureCache fc = new FeatureCache(cache, backbone.sha256(), cut, raw.toSpec());
    try (FeatureSource src = new FeatureSource(backbone, cut, true, raw, Device.CPU, fc, pool,
        PhotoSource.FILES.open())) {
      FeatureSource.Features a = src.features(photos, new ArrayList<>());
      return new Features(d.labels(), a.rows(), a.labels(), a.images().stream()
          .map(LabelledImage::relativePath).toArray(String[]::new));
    }
  }

  static void suspects(Features f) {
    int n = f.y.length;
    int k = f.labels.size();
    int flips = (int) Math.round(0.05 * n);
    String placeholder = "ants/imageNotFound.gif";
    // as given (no flips): where the placeholder ranks
    ConfidentLearning.Result clean = run(f, f.y);
    int rank = rank(clean.suspects(), placeholder);
    int at = Arrays.asList(f.keys).indexOf(placeholder);
    if (at >= 0) {
      float[] p = LinearHeadSelection.select(f.x, f.y, k, f.keys, 5, 42, null, true).outOfFold()
          .probabilities()[at];
      System.out.printf(Locale.ROOT, "  %s: out-of-fold probabilities %s, thresholds %s%n",
          placeholder, Arrays.toString(p), Arrays.toString(clean.thresholds()));
    }
    System.out.printf(Locale.ROOT, "  labels as given: %d suspects%s; first %s%n",
        clean.suspects().size(), Arrays.asList(f.keys).contains(placeholder)
            ? ", " + placeholder + (rank < 0 ? " not suspected" : " suspected at rank " + rank)
            : "", clean.suspects().subList(0, Math.min(5, clean.suspects().size())).stream()
            .map(s -> s.path() + " (" + s.label() + "→" + s.suggested() + String.format(
                Locale.ROOT, " %.2f)", s.confidence())).toList());
    double sumP = 0;
    double sumR = 0;
    double sumListP = 0;
    double sumListR = 0;
    for (int r = 1; r <= REPEATS; r++) {
      Random rnd = new Random(r);
      int[] y = f.y.clone();
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        order.add(i);
      }
      java.util.Collections.shuffle(order, rnd);
      Set<String> flipped = new HashSet<>();
      for (int i : order.subList(0, flips)) {
        y[i] = (y[i] + 1 + rnd.nextInt(k - 1)) % k;
        flipped.add(f.keys[i]);
      }
      ConfidentLearning.Result res = run(f, y);
      List<SuspectedLabel> list = res.suspects();
      long topHits = list.subList(0, Math.min(flips, list.size())).stream()
          .filter(s -> flipped.contains(s.path())).count();
      long allHits = list.stream().filter(s -> flipped.contains(s.path())).count();
      double p = topHits / (double) Math.max(1, Math.min(flips, list.size()));
      double rec = topHits / (double) flips;
      sumP += p;
      sumR += rec;
      sumListP += list.isEmpty() ? 0 : allHits / (double) list.size();
      sumListR += allHits / (double) flips;
      int pr = rank(list, placeholder);
      System.out.printf(Locale.ROOT, "  seed %d: %d flipped, %d suspects; top-%d precision %.2f"
              + " recall %.2f; whole list precision %.2f recall %.2f%s%n", r, flips, list.size(),
          flips, p, rec, list.isEmpty() ? 0 : allHits / (double) list.size(),
          allHits / (double) flips, Arrays.asList(f.keys).contains(placeholder)
              ? "; " + placeholder + (pr < 0 ? " not suspected" : " at rank " + pr) : "");
    }
    System.out.printf(Locale.ROOT, "  mean over %d seeds: top-k precision %.2f, recall %.2f;"
            + " whole list precision %.2f, recall %.2f%n", REPEATS, sumP / REPEATS,
        sumR / REPEATS, sumListP / REPEATS, sumListR / REPEATS);
  }

  static final int SPLITS = Integer.getInteger("kiln.bench.splits", 40);
  /** Folds of the estimate's cross-validation (estimateFolds; 5 is the default). */
  static final int FOLDS = Integer.getInteger("kiln.bench.folds", 5);
  static final double TRAIN_SHARE = Double.parseDouble(System.getProperty("kiln.bench.share",
      "0.333"));

  /**
   * Calibration of the k-fold estimate and of the learning curve's projection for the size that
   * ships: many random stratified splits; the build gets the training part; its estimate and
   * interval are compared with the shipped head's accuracy on the rest.
   */
  static void curve(Features f) {
    int n = f.y.length;
    int k = f.labels.size();
    double[] biasK = new double[SPLITS];
    double[] biasC = new double[SPLITS];
    double[] biasG = new double[SPLITS];
    int coverK = 0;
    int coverC = 0;
    int coverG = 0;
    int coverKNew = 0;
    int coverGNew = 0;
    double widthG = 0;
    double widthK = 0;
    double widthC = 0;
    double gain2 = 0;
    double gain4 = 0;
    for (int r = 0; r < SPLITS; r++) {
      Random rnd = new Random(100 + r);
      List<List<Integer>> byLabel = new ArrayList<>();
      for (int c = 0; c < k; c++) {
        byLabel.add(new ArrayList<>());
      }
      for (int i = 0; i < n; i++) {
        byLabel.get(f.y[i]).add(i);
      }
      List<Integer> train = new ArrayList<>();
      List<Integer> test = new ArrayList<>();
      for (List<Integer> l : byLabel) {
        java.util.Collections.shuffle(l, rnd);
        int t = (int) Math.round(TRAIN_SHARE * l.size());
        train.addAll(l.subList(0, t));
        test.addAll(l.subList(t, l.size()));
      }
      float[][] x = train.stream().map(i -> f.x[i]).toArray(float[][]::new);
      int[] y = train.stream().mapToInt(i -> f.y[i]).toArray();
      String[] keys = train.stream().map(i -> f.keys[i]).toArray(String[]::new);
      LinearHeadSelection.Result s = LinearHeadSelection.select(x, y, k, keys, FOLDS, 42, null,
          true);
      dev.kiln.maven.head.LearningCurve.Result lc = dev.kiln.maven.head.LearningCurve.measure(x,
          null, y, k, keys, s.outOfFold(), 42, null);
      float[][] p = s.model().probabilities(test.stream().map(i -> f.x[i])
          .toArray(float[][]::new));
      int right = 0;
      for (int j = 0; j < p.length; j++) {
        right += LinearHeadSelection.argMax(p[j]) == f.y[test.get(j)] ? 1 : 0;
      }
      double truth = right / (double) p.length;
      var est = s.estimate();
      var at = lc.at(1);
      biasK[r] = est.accuracy() - truth;
      biasC[r] = at.accuracy() - truth;
      coverK += est.low() <= truth && truth <= est.high() ? 1 : 0;
      coverC += at.low() <= truth && truth <= at.high() ? 1 : 0;
      widthK += est.high() - est.low();
      var corrected = lc.gain().widen(est);
      biasG[r] = corrected.accuracy() - truth;
      coverG += corrected.low() <= truth && truth <= corrected.high() ? 1 : 0;
      if (!(corrected.low() <= truth && truth <= corrected.high())) {
        System.out.printf(Locale.ROOT, "  miss %d: truth %.3f, k-fold %.3f (%.3f-%.3f), raised %.3f"
                + " (%.3f-%.3f), gain %.3f (high %.3f)%n", r, truth, est.accuracy(), est.low(),
            est.high(), corrected.accuracy(), corrected.low(), corrected.high(),
            lc.gain().gain(), lc.gain().high());
      }
      widthG += corrected.high() - corrected.low();
      // the new photos measure the shipped head with their own binomial noise: the interval for
      // its accuracy on them adds that noise to the estimate's (half-widths in quadrature)
      double seNew = Math.sqrt(Math.max(truth * (1 - truth), 0.5 / p.length) / p.length);
      coverKNew += covers(est, truth, seNew) ? 1 : 0;
      coverGNew += covers(corrected, truth, seNew) ? 1 : 0;
      widthC += at.high() - at.low();
      gain2 += lc.at(2).accuracy() - at.accuracy();
      gain4 += lc.at(4).accuracy() - at.accuracy();
      if (r < 3) {
        System.out.printf(Locale.ROOT, "  split %d: %d train, %d test; truth %.3f; k-fold %.3f"
                + " (%.3f-%.3f); curve %.3f (%.3f-%.3f); %s%n", r, train.size(), test.size(),
            truth, est.accuracy(), est.low(), est.high(), at.accuracy(), at.low(), at.high(),
            lc.line());
      }
    }
    System.out.printf(Locale.ROOT, "  %d splits, train share %.2f: k-fold estimate bias %+.2f"
            + " points (sd %.2f), coverage %.0f%%, mean width %.1f points; curve at full size"
            + " bias %+.2f points (sd %.2f), coverage %.0f%%, mean width %.1f points; curve says"
            + " 2x photos %+.1f, 4x %+.1f points%n", SPLITS, TRAIN_SHARE, 100 * mean(biasK),
        100 * sd(biasK), 100.0 * coverK / SPLITS, 100 * widthK / SPLITS, 100 * mean(biasC),
        100 * sd(biasC), 100.0 * coverC / SPLITS, 100 * widthC / SPLITS, 100 * gain2 / SPLITS,
        100 * gain4 / SPLITS);
    System.out.printf(Locale.ROOT, "  k-fold, its upper end raised by the curve's gain: bias"
            + " %+.2f points (sd"
            + " %.2f), coverage %.0f%%, mean width %.1f points; allowing for the new photos' own"
            + " noise: k-fold %.0f%%, upper end raised %.0f%%%n", 100 * mean(biasG),
        100 * sd(biasG),
        100.0 * coverG / SPLITS, 100 * widthG / SPLITS, 100.0 * coverKNew / SPLITS,
        100.0 * coverGNew / SPLITS);
  }

  /** @return the estimate's interval, widened by the new photos' noise, holds their accuracy */
  static boolean covers(dev.kiln.maven.head.AccuracyEstimate e, double truth, double seNew) {
    double z = 1.959963984540054;
    double low = e.accuracy() - Math.hypot(e.accuracy() - e.low(), z * seNew);
    double high = e.accuracy() + Math.hypot(e.high() - e.accuracy(), z * seNew);
    return low <= truth && truth <= high;
  }

  static double mean(double[] v) {
    return Arrays.stream(v).average().orElse(0);
  }

  static double sd(double[] v) {
    double m = mean(v);
    return Math.sqrt(Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / Math.max(1,
        v.length - 1));
  }

  /** @return confident learning on the out-of-fold predictions of a build with labels y */
  static ConfidentLearning.Result run(Features f, int[] y) {
    LinearHeadSelection.Result s = LinearHeadSelection.select(f.x, y, f.labels.size(), f.keys, 5,
        42, null, true);
    return ConfidentLearning.find(f.labels, y, s.outOfFold().probabilities(),
        Arrays.asList(f.keys));
  }

  /** @return the 1-based rank of a photo in the list, or -1 */
  static int rank(List<SuspectedLabel> list, String path) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i).path().equals(path)) {
        return i + 1;
      }
    }
    return -1;
  }
}
