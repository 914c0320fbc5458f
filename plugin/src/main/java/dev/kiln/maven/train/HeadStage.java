package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.OnnxArchitecture;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.suspects.UnusualPhoto;
import dev.kiln.maven.suspects.UnusualPhotos;
import dev.kiln.maven.text.Count;
import dev.kiln.runtime.KilnException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The first stage of the pretrained modes: the frozen backbone runs once per photo on ONNX
 * Runtime (features cached across builds), and the new head is fitted on those features ({@link
 * HeadFit}).
 *
 * @param fit how the head is fitted
 * @param everyPhoto the head learns from every photo, the validation side too (no {@code val/}
 *     folder, L-BFGS head, nothing after it: the estimate is then nested cross-validation)
 * @param validationHeldOut every validation photo is held out from every decision (a {@code
 *     val/} folder with the L-BFGS head alone); otherwise they are halved ({@link HeldOut#halves})
 *     so that an epoch can be chosen on one half and the estimate measured on the other
 */
record HeadStage(HeadFit fit, boolean everyPhoto, boolean validationHeldOut)
    implements TrainingStage {

  @Override
  public Trained run(TrainingRun run, Trained previous)
      throws KilnException, UserProblemException {
    Dataset data = run.data();
    Backbone backbone = run.backbone();
    TrainConfiguration.Optimisation o = run.settings().optimisation();
    int copies = o.augmentedCopies();
    ProgressListener listener = run.listener();
    if (backbone.architecture() instanceof OnnxArchitecture user) {
      listener.phase("backbone", "ONNX graph " + backbone.sourceNames()
          + " cut at '" + user.cut() + "' (" + user.why() + "), shape "
          + Arrays.toString(user.cutShape()) + (user.cutShape().length == 4
              ? ", then global " + backbone.pooling().name().toLowerCase(Locale.ROOT)
                  + " pooling" : ""));
    }
    FeatureSource.Features plain;
    FeatureSource.Features every; // training and validation photos, one row each
    FeatureSource.Features train;
    FeatureSource.Features val;
    float[][] mirrored = null;
    try (FeatureSource source = run.pooledFeatures()) {
      plain = source.features(data.train(), run.skipped());
      val = source.features(data.validation(), run.skipped());
      every = concat(plain, val);
      train = everyPhoto ? every : plain;
      List<LabelledImage> copied = everyPhoto ? train.images() : data.train();
      for (int copy = 1; copy <= copies; copy++) {
        train = concat(train, source.features(copied, new ArrayList<>(), o.augmentation(),
            o.seed(), copy));
      }
      if (fit.usesMirrors()) {
        mirrored = mirroredRows(source, train);
      }
      listener.phase("features", "frozen " + backbone.architecture().id() + " up to "
          + run.cut() + (backbone.featureDepths() == 1 ? "" : " (pooled outputs of "
              + backbone.architecture().depthsEndingAt(run.cut(), backbone.featureDepths())
              + " concatenated)")
          + ": " + Count.of(source.computed(), "image") + " computed on ONNX Runtime ("
          + source.deviceInUse() + "), " + source.cached() + " from the cache");
      run.times().add(source);
    }
    run.photos().requireUnchanged(); // before any photo count or decision relies on them
    ImageCheck.check(run.settings().data().failOnBadImages(), data, plain.labels(),
        val.labels(), run.skipped(), listener);
    HeldOut heldOut = validationHeldOut
        ? HeldOut.all(data.validation(), "the " + Count.of(data.validation().size(), "photo")
            + " of the val/ folder, which no training decision used (the head learnt from"
            + " train/, its L2 strength chosen by cross-validation inside train/)")
        : HeldOut.halves(data.validation(), o.seed());
    listener.phase("training", "new head: " + data.labels().size() + " labels, "
        + Count.of(train.labels().length, "training example")
        + (everyPhoto ? " (every photo: the training and the validation side)" : "") + " ("
        + (copies == 0 ? "no augmentation"
            : Count.of(copies, "augmented copy", "augmented copies") + " per image") + ")"
        + fit.epochsNote());
    long t0 = System.nanoTime();
    double[] weights = ClassWeights.choose(run.settings().head().balanceClasses(),
        train.labels(), data, listener);
    HeadFit.Fitted head = fit.fit(new HeadFit.Data(train, mirrored, heldOut.selectionOf(val),
        run.classes(), weights), listener);
    run.times().addTrain((System.nanoTime() - t0) / 1_000_000);
    return new Trained(null, head.head(), plain.images(), val, heldOut, head.linear(),
        everyPhoto, weights, run.settings().outputs().suspects() ? unusual(data, every,
            o.seed()) : null);
  }

  /** @return the photos, training and validation alike, unlike the rest in the features */
  private static List<UnusualPhoto> unusual(Dataset data, FeatureSource.Features every,
      long seed) {
    List<LabelledImage> photos = every.images();
    return UnusualPhotos.find(photos.stream().map(LabelledImage::relativePath).toList(),
        photos.stream().map(p -> data.labels().get(p.label())).toList(), every.rows(), seed);
  }

  /**
   * The features of each row's mirror image, aligned with {@code rows}: photos get their
   * mirror's features (the cross-validation scores them as the flipping model would); augmented
   * copies, which are never scored, keep their own.
   */
  private static float[][] mirroredRows(FeatureSource source, FeatureSource.Features rows)
      throws KilnException {
    List<LabelledImage> photos = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (LabelledImage i : rows.images()) {
      if (seen.add(i.relativePath())) {
        photos.add(i);
      }
    }
    FeatureSource.Features m = source.mirrored(photos, new ArrayList<>());
    Map<String, float[]> byPath = new HashMap<>();
    for (int i = 0; i < m.images().size(); i++) {
      byPath.put(m.images().get(i).relativePath(), m.rows()[i]);
    }
    float[][] out = new float[rows.rows().length][];
    for (int i = 0; i < out.length; i++) {
      out[i] = byPath.getOrDefault(rows.images().get(i).relativePath(), rows.rows()[i]);
    }
    return out;
  }

  /** @return {@code a}'s rows then {@code b}'s */
  static FeatureSource.Features concat(FeatureSource.Features a, FeatureSource.Features b) {
    List<LabelledImage> images = new ArrayList<>(a.images());
    images.addAll(b.images());
    float[][] rows = Stream.concat(Arrays.stream(a.rows()), Arrays.stream(b.rows()))
        .toArray(float[][]::new);
    int[] labels = IntStream.concat(Arrays.stream(a.labels()), Arrays.stream(b.labels()))
        .toArray();
    String[] keys = a.keys() == null || b.keys() == null ? null
        : Stream.concat(Arrays.stream(a.keys()), Arrays.stream(b.keys())).toArray(String[]::new);
    return new FeatureSource.Features(images, rows, labels, keys);
  }
}
