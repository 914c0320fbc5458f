package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.head.LinearHeadSelection;
import dev.kiln.maven.head.SoftmaxRegression;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Scratch experiment (not committed as is). */
public final class HeadExperiment {
  public static void main(String[] args) throws Exception {
    Path fixtures = Path.of("/work/shared/fixtures");
    String bb = args.length > 0 ? args[0]
        : "backbones/mobilenet_v1_0.25_224_keras/mobilenet_2_5_224_tf_no_top.h5";
    Backbone backbone = BackboneResolver.resolve(fixtures.resolve(bb).toString(), Path.of("."), 224);
    Dataset train = DatasetScanner.scan(new DatasetScanner.Request(
        fixtures.resolve("datasets/hymenoptera/train"), List.of(), List.of(), 0.0001, 42));
    Dataset val = DatasetScanner.scan(new DatasetScanner.Request(
        fixtures.resolve("datasets/hymenoptera/val"), List.of(), List.of(), 0.0001, 42));
    List<LabelledImage> tr = new ArrayList<>(train.train());
    tr.addAll(train.validation());
    List<LabelledImage> va = new ArrayList<>(val.train());
    va.addAll(val.validation());
    ExecutorService pool = Executors.newFixedThreadPool(2);
    Preprocessing raw = Preprocessing.raw(224, Preprocessing.Resize.CENTER_CROP);
    String[] cuts = args.length > 1 ? args[1].split(",") : new String[] {null};
    List<float[][]> trParts = new ArrayList<>();
    List<float[][]> vaParts = new ArrayList<>();
    List<float[][]> trM = new ArrayList<>();
    List<float[][]> vaM = new ArrayList<>();
    int[] ytr = null;
    int[] yva = null;
    String[] keys = null;
    for (String cut : cuts) {
      String c = "null".equals(cut) ? null : cut;
      try (FeatureSource src = new FeatureSource(backbone, c, true, raw, Device.CPU, null, pool)) {
        FeatureSource.Features a = src.features(tr, new ArrayList<>());
        FeatureSource.Features b = src.features(va, new ArrayList<>());
        trParts.add(a.rows());
        vaParts.add(b.rows());
        trM.add(src.mirrored(tr, new ArrayList<>()).rows());
        vaM.add(src.mirrored(va, new ArrayList<>()).rows());
        ytr = a.labels();
        yva = b.labels();
        keys = a.images().stream().map(LabelledImage::relativePath).toArray(String[]::new);
      }
    }
    float[][] xtr = cat(trParts);
    float[][] xva = cat(vaParts);
    float[][] xtrM = cat(trM);
    float[][] xvaM = cat(vaM);
    dump(java.nio.file.Path.of("/tmp/feat_train.csv"), xtr, ytr);
    dump(java.nio.file.Path.of("/tmp/feat_val.csv"), xva, yva);
    System.out.println("features " + xtr[0].length + ", train " + xtr.length + ", val " + xva.length);
    long t0 = System.nanoTime();
    LinearHeadSelection.Result r = LinearHeadSelection.select(xtr, ytr, 2, keys, 5, 42, null, true);
    System.out.printf("select %d ms, fits %d, lambda %.2e, estimate %s%n",
        (System.nanoTime() - t0) / 1000000, r.fits(), r.lambda(), r.estimate().line());
    r.curve().forEach(p -> System.out.printf("  lambda %.1e loss %.4f acc %.4f%n", p.lambda(), p.loss(), p.accuracy()));
    System.out.printf("val accuracy %.4f, iterations %d%n", acc(r.model().probabilities(xva), yva), r.model().iterations());
    float[][] pv = r.model().probabilities(xva);
    float[][] pm = r.model().probabilities(xvaM);
    System.out.printf("val accuracy with flip TTA %.4f%n", accAvg(pv, pm, yva));
    // train with mirrored copies too
    float[][] both = java.util.stream.Stream.concat(java.util.Arrays.stream(xtr), java.util.Arrays.stream(xtrM)).toArray(float[][]::new);
    int[] yboth = new int[both.length];
    String[] kboth = new String[both.length];
    for (int i = 0; i < xtr.length; i++) {
      yboth[i] = ytr[i]; yboth[i + xtr.length] = ytr[i];
      kboth[i] = keys[i]; kboth[i + xtr.length] = keys[i];
    }
    LinearHeadSelection.Result r2 = LinearHeadSelection.select(both, yboth, 2, kboth, 5, 42, null, false);
    System.out.printf("train+mirror: lambda %.2e val %.4f, TTA %.4f%n", r2.lambda(),
        acc(r2.model().probabilities(xva), yva), accAvg(r2.model().probabilities(xva), r2.model().probabilities(xvaM), yva));
    long t1 = System.nanoTime();
    int[] all = java.util.stream.IntStream.range(0, xtr.length).toArray();
    SoftmaxRegression.Model m = SoftmaxRegression.fit(xtr, ytr, 2, all, r.lambda(), null, null);
    System.out.printf("one fit %.1f ms, %d iterations%n", (System.nanoTime() - t1) / 1e6, m.iterations());
    pool.shutdownNow();
  }

  static void dump(java.nio.file.Path p, float[][] x, int[] y) throws java.io.IOException {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < x.length; i++) {
      b.append(y[i]);
      for (float v : x[i]) b.append(',').append(v);
      b.append('\n');
    }
    java.nio.file.Files.writeString(p, b);
  }

  static float[][] cat(List<float[][]> parts) {
    int n = parts.get(0).length;
    float[][] out = new float[n][];
    for (int i = 0; i < n; i++) {
      int d = 0;
      for (float[][] p : parts) d += p[i].length;
      out[i] = new float[d];
      int o = 0;
      for (float[][] p : parts) {
        System.arraycopy(p[i], 0, out[i], o, p[i].length);
        o += p[i].length;
      }
    }
    if (parts.size() > 1 && parts.get(0).length != parts.get(1).length) {
      List<float[]> rows = new ArrayList<>();
      for (float[][] p : parts) rows.addAll(List.of(p));
      return rows.toArray(float[][]::new);
    }
    return out;
  }

  static double acc(float[][] p, int[] y) {
    int r = 0;
    for (int i = 0; i < y.length; i++) if (LinearHeadSelection_argMax(p[i]) == y[i]) r++;
    return r / (double) y.length;
  }

  static double accAvg(float[][] p, float[][] q, int[] y) {
    int r = 0;
    for (int i = 0; i < y.length; i++) {
      float[] s = new float[p[i].length];
      for (int k = 0; k < s.length; k++) s[k] = p[i][k] + q[i][k];
      if (LinearHeadSelection_argMax(s) == y[i]) r++;
    }
    return r / (double) y.length;
  }

  static int LinearHeadSelection_argMax(float[] row) {
    int b = 0;
    for (int i = 1; i < row.length; i++) if (row[i] > row[b]) b = i;
    return b;
  }
}
