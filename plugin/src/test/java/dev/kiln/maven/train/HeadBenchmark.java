package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.config.HeadSolver;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.head.LinearHeadSelection;
import dev.kiln.runtime.Classification;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Honest-accuracy benchmark (a harness, not a test), issue 10: heads compared by their estimate
 * and by the accuracy measured afterwards on photos the training never saw.
 *
 * <pre>
 * mvn -q install -DskipTests -Dkiln.it.skip
 * mvn -q -pl plugin exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kiln.maven.train.HeadBenchmark
 * </pre>
 *
 * <ol>
 *   <li>Trained on hymenoptera {@code train/} only (245 photos; the estimate comes from them
 *       alone), then measured on the untouched 73 {@code val/} photos: the Adam head (early
 *       stopping) against the L-BFGS head.
 *   <li>The same with the {@code val/} folder given to the build (the sample project's setup).
 *   <li>Test-time flip and features from more than one depth, on cached features: nested
 *       estimate inside {@code train/} and accuracy on {@code val/}.
 * </ol>
 */
public final class HeadBenchmark {

  public static void main(String[] args) throws Exception {
    Path fixtures = Path.of(System.getProperty("kiln.fixtures", "../shared/fixtures"));
    if (!Files.isDirectory(fixtures)) {
      fixtures = Path.of("../../shared/fixtures");
    }
    Path hymenoptera = fixtures.resolve("datasets/hymenoptera");
    Backbone backbone = BackboneResolver.resolve(fixtures.resolve(System.getProperty(
        "kiln.bench.backbone", "backbones/mobilenet_v1_0.25_224_keras/mobilenet_2_5_224_tf_no_top.h5"))
        .toString(), Path.of("."), 224);
    System.out.println("backbone " + backbone.architecture().id());
    Dataset train = DatasetScanner.scan(new DatasetScanner.Request(hymenoptera.resolve("train"),
        List.of(), List.of(), 0.2, 42));
    Dataset both = DatasetScanner.scan(new DatasetScanner.Request(hymenoptera, List.of(),
        List.of(), 0.2, 42));
    List<LabelledImage> val = new ArrayList<>(both.validation());
    Path cache = Files.createTempDirectory("kiln-head-bench");

    System.out.println("1. trained on train/ only (automatic split), measured on the 73 val/");
    for (HeadSolver solver : List.of(HeadSolver.ADAM, HeadSolver.LBFGS)) {
      run(solver, train, backbone, cache, val, both.labels());
    }
    System.out.println("2. train/ and val/ folders (val/ held out by the build)");
    for (HeadSolver solver : List.of(HeadSolver.ADAM, HeadSolver.LBFGS)) {
      run(solver, both, backbone, cache, val, both.labels());
    }

    System.out.println("3. test-time flip and several depths (L-BFGS head, nested estimate in"
        + " train/, accuracy on val/)");
    List<LabelledImage> photos = new ArrayList<>(train.train());
    photos.addAll(train.validation());
    Preprocessing raw = Preprocessing.raw(224, Preprocessing.Resize.CENTER_CROP);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<String> blocks = backbone.architecture().blockOutputs();
    String last = backbone.architecture().lastFeatureLayer();
    String[][] depths = {{last}, backbone.architecture().depthsEndingAt(last, 2)
        .toArray(String[]::new), backbone.architecture().depthsEndingAt(last, 3)
        .toArray(String[]::new)};
    for (String[] cuts : depths) {
      List<float[][]> tr = new ArrayList<>();
      List<float[][]> trM = new ArrayList<>();
      List<float[][]> va = new ArrayList<>();
      List<float[][]> vaM = new ArrayList<>();
      int[] ytr = null;
      int[] yva = null;
      String[] keys = null;
      for (String cut : cuts) {
        FeatureCache fc = new FeatureCache(cache, backbone.sha256(), cut, raw.toSpec());
        try (FeatureSource src = new FeatureSource(backbone, cut, true, raw, Device.CPU, fc,
            pool, dev.kiln.maven.dataset.PhotoSource.FILES.open())) {
          FeatureSource.Features a = src.features(photos, new ArrayList<>());
          FeatureSource.Features b = src.features(val, new ArrayList<>());
          tr.add(a.rows());
          va.add(b.rows());
          trM.add(src.mirrored(photos, new ArrayList<>()).rows());
          vaM.add(src.mirrored(val, new ArrayList<>()).rows());
          ytr = a.labels();
          yva = b.labels();
          keys = a.images().stream().map(LabelledImage::relativePath).toArray(String[]::new);
        }
      }
      float[][] xtr = columns(tr);
      float[][] xtrM = columns(trM);
      float[][] xva = columns(va);
      float[][] xvaM = columns(vaM);
      for (boolean flip : new boolean[] {false, true}) {
        LinearHeadSelection.Result r = LinearHeadSelection.select(xtr, flip ? xtrM : null, ytr, 2,
            keys, 5, 42, null, true);
        float[][] p = r.model().probabilities(xva);
        if (flip) {
          float[][] q = r.model().probabilities(xvaM);
          for (int i = 0; i < p.length; i++) {
            for (int c = 0; c < p[i].length; c++) {
              p[i][c] = (p[i][c] + q[i][c]) / 2;
            }
          }
        }
        int right = 0;
        for (int i = 0; i < yva.length; i++) {
          right += LinearHeadSelection.argMax(p[i]) == yva[i] ? 1 : 0;
        }
        System.out.printf(Locale.ROOT, "   %s (%d features), flip %s: estimate %s, val/ %.1f%%"
                + " (%d/73), selection + estimate %d ms%n", String.join("+", cuts),
            xtr[0].length, flip ? "on " : "off", r.estimate().line(), right * 100.0 / yva.length,
            right, r.millis());
      }
    }
    pool.shutdownNow();
  }

  private static void run(HeadSolver solver, Dataset data, Backbone backbone, Path cache,
      List<LabelledImage> val, List<String> labels) throws Exception {
    TrainingResult r = Trainer.train(TrainingRequest.builder(data, backbone).settings(s -> s.headSolver(solver).cacheDir(cache)).build(), ProgressListener.NONE);
    int right = 0;
    try (ImageClassifier c = ImageClassifier.load(r.onnx(), "bench",
        ClassifierOptions.defaults().withDevice(Device.CPU))) {
      List<Classification> out = c.classifyFiles(val.stream().map(LabelledImage::file).toList());
      for (int i = 0; i < val.size(); i++) {
        right += out.get(i).best().label().equals(labels.get(val.get(i).label())) ? 1 : 0;
      }
    }
    System.out.printf(Locale.ROOT, "   %-5s estimate %s; val/ %.1f%% (%d/73); head training %d"
            + " ms; %s%n", solver.id(), r.estimate().line(), right * 100.0 / val.size(), right,
        r.timings().headTraining(), r.estimate().method());
  }

  private static float[][] columns(List<float[][]> parts) {
    int n = parts.get(0).length;
    float[][] out = new float[n][];
    for (int i = 0; i < n; i++) {
      int d = 0;
      for (float[][] p : parts) {
        d += p[i].length;
      }
      out[i] = new float[d];
      int o = 0;
      for (float[][] p : parts) {
        System.arraycopy(p[i], 0, out[i], o, p[i].length);
        o += p[i].length;
      }
    }
    return out;
  }
}
