package dev.kiln.maven.train;

import dev.kiln.maven.text.Count;
import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.config.HeadSolver;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.dataset.PhotoReads;
import dev.kiln.maven.engine.Dl4jSetup;
import dev.kiln.maven.export.ParityChecker;
import dev.kiln.maven.head.AccuracyEstimate;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.suspects.SuspectedLabel;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Orchestrates one training run. In the pretrained modes the frozen backbone is exported to ONNX
 * and run once per image by ONNX Runtime (features cached across builds) and DL4J trains the new
 * head on those features; {@code fine-tune} then trains the top blocks on cached feature maps,
 * {@code full} every layer on streamed images, both at a hundredth of the rate. {@code scratch}
 * trains the randomly initialised network on streamed images. {@code auto} picks one by the data
 * set's size ({@link AutoMode}). The trained network is exported whole (normalisation and softmax
 * inside) and the export is checked against DL4J on the validation images through the runtime.
 */
public final class Trainer {

  private Trainer() {}

  /**
   * @param backbone the backbone (its pooling and depths)
   * @param cutLayer where it is cut (null: its default)
   * @return the frozen part training runs on ONNX Runtime: raw RGB in, pooled {@code features}
   *     out (kiln-spark's featurizer)
   */
  public static byte[] frozenModel(Backbone backbone, String cutLayer) {
    return FeatureSource.frozenModel(backbone, cutLayer, true);
  }

  /**
   * @param request what to train
   * @param listener progress
   * @return the exported model and its metrics
   * @throws UserProblemException for bad data (e.g. all images of a label unreadable, or any
   *     unreadable image with failOnBadImages) or a parity failure; {@link
   *     dev.kiln.maven.dataset.ChangedPhotosException} when a photo changed while the build read
   *     it (nothing is cached from a read that another read contradicts)
   */
  public static TrainingResult train(TrainingRequest request, ProgressListener listener)
      throws UserProblemException {
    Dl4jSetup.init();
    Nd4j.getRandom().setSeed(request.seed());
    Dataset data = request.dataset();
    Backbone backbone = request.backbone();
    Preprocessing raw = request.modelPreprocessing();
    long[] imageShape = {3, backbone.inputSize(), backbone.inputSize()};
    listener.phase("dataset", data.summary());
    Mode mode = request.mode();
    String why = null;
    if (mode == Mode.AUTO
        && backbone.architecture() instanceof dev.kiln.maven.backbone.OnnxArchitecture) {
      mode = Mode.FEATURE_EXTRACTOR;
      why = "an ONNX backbone: feature-extractor (fine-tune and full import the graph into DL4J,"
          + " which only some operators allow: ask for them with mode)";
      listener.phase("mode", "auto: " + why);
    } else if (mode == Mode.AUTO) {
      AutoMode.Choice choice = AutoMode.choose(data.counts(data.train()));
      mode = choice.mode();
      why = choice.reason();
      listener.phase("mode", "auto: " + why);
    }

    int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
    ExecutorService pool = Executors.newFixedThreadPool(cores, r -> {
      Thread t = new Thread(r, "kiln-decode");
      t.setDaemon(true);
      return t;
    });
    Work work = new Work();
    PhotoReads photos = request.photos().open();
    if (request.cacheDir() != null) {
      FeatureCache.removeStale(request.cacheDir()).forEach(p -> listener.debug("removed " + p
          + ", left by a failed or interrupted write"));
    }
    try {
      List<SkippedImage> skipped = new ArrayList<>();
      Trained trained = mode == Mode.SCRATCH
          ? DeeperTraining.scratch(request, raw, pool, photos, skipped, work, listener)
          : pretrained(request, mode, raw, pool, photos, skipped, work, listener);
      FeatureSource.Features val = trained.val();
      HeadTrainer.Result head = trained.result();

      listener.phase("export", "network to ONNX, parity check on "
          + val.images().size() + " validation images");
      long t1 = System.nanoTime();
      ModelExport.Exported exported = ModelExport.export(request, mode, why, trained.full(),
          head, trained.linear(), skipped, imageShape);
      ModelExport.Checked checked;
      try (ModelExport.Reference reference = trained.full() != null
          ? ModelExport.Reference.of(trained.full())
          : ModelExport.Reference.of(exported, backbone, head.head(), request.device())) {
        checked = ModelExport.check(reference, exported, val, raw, backbone,
            request.settings().head().testTimeFlip(), pool, photos);
      }
      photos.requireUnchanged();
      long exportMillis = (System.nanoTime() - t1) / 1_000_000;
      if (!checked.parity().passed(ParityChecker.TOLERANCE)) {
        throw new IllegalStateException("the exported ONNX model differs from the trained network"
            + " by " + checked.parity().maxAbsDiff() + " (limit " + ParityChecker.TOLERANCE
            + "); first diverging layer: " + checked.parity().divergingLayer());
      }
      ModelQuantization.Shipped shipped = ModelQuantization.apply(request, exported,
          checked.probabilities(), val, trained.validationTrainedOn(), raw, pool, photos,
          listener);
      photos.requireUnchanged();
      exported = shipped.exported();
      float[][] probabilities = shipped.probabilities(); // the shipped model's
      // the estimate's photos, never one the predicting head trained on
      HonestEvaluation.Predictions honest = trained.validationTrainedOn()
          ? HonestEvaluation.outOfFold(trained.linear())
          : HonestEvaluation.heldOut(trained.heldOut(), val.images(), probabilities);
      Evaluation evaluation = honest.evaluation(data.labels());
      List<SuspectedLabel> suspects = request.settings().outputs().suspects()
          ? honest.suspects(data.labels()) : null;
      AccuracyEstimate estimate = trained.linear() != null
          && trained.linear().selection().estimate() != null
          ? trained.linear().selection().estimate()
          : trained.heldOut().measure(val.images(), probabilities);
      if (shipped.info() != null && trained.linear() != null
          && trained.linear().selection().estimate() != null) {
        estimate = estimate.withNote("; of the float head: the shipped " + shipped.info().kind()
            + String.format(Locale.ROOT, " model gives the float model's label to %.1f%% of %s",
                shipped.info().agreement() * 100, shipped.info().measuredOn()));
      }
      if (request.settings().head().testTimeFlip()
          && !estimate.method().contains("test-time flip")) {
        estimate = estimate.withNote(" (test-time flip: the model averages each photo with its"
            + " mirror image)");
      }
      listener.phase("estimate", "accuracy to expect on new photos: " + estimate.line()
          + "; " + estimate.method());
      if (suspects != null) {
        listener.phase("suspects", suspectsLine(suspects, evaluation,
            request.settings().outputs().workDir()));
      }
      exported = ModelExport.withEstimate(exported, estimate);
      ModelExport.checkReadBack(exported);
      return new TrainingResult(exported.onnx(), exported.metadata(), evaluation, head.history(),
          head.bestEpoch(), List.copyOf(skipped), checked.parity(),
          new TrainingResult.Timings(work.decodeMillis, work.forwardMillis, work.trainMillis,
              exportMillis, work.computed, work.cached), estimate,
          trained.linear() == null ? null : TrainingResult.HeadFit.of(
              trained.linear().selection()), trained.validationTrainedOn(), shipped.info(), suspects,
          trained.linear() == null ? null : trained.linear().curve());
    } catch (KilnException e) {
      throw new IllegalStateException(e.getMessage(), e);
    } catch (java.io.UncheckedIOException e) {
      if (e.getCause() instanceof PhotoReads.ChangedException) { // while streaming images
        photos.requireUnchanged();
      }
      throw e;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Suspects named in the log line. */
  static final int SUSPECTS_LOGGED = 3;

  /**
   * @return the log line of the suspected wrong labels: how many, among which photos, where the
   *     list is, and the most suspicious few
   */
  static String suspectsLine(List<SuspectedLabel> suspects, Evaluation evaluation,
      Path workDir) {
    if (suspects.isEmpty()) {
      return "no photo's label looks wrong (confident learning on " + evaluation.images()
          + " photos the predicting head never trained on)";
    }
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%d of %d photos may have"
            + " the wrong label (confident learning on predictions by heads that never trained on"
            + " them); check them in %s (\"Suspected wrong labels\") or suspectedMislabels in"
            + " %s; most suspicious:", suspects.size(), evaluation.images(),
        workDir.resolve("report.html"), workDir.resolve("metrics.json")));
    for (SuspectedLabel s : suspects.subList(0, Math.min(SUSPECTS_LOGGED, suspects.size()))) {
      b.append(String.format(Locale.ROOT, " %s (%s, looks like %s: %.0f%%);", s.path(),
          s.label(), s.suggested(), s.confidence() * 100));
    }
    b.setLength(b.length() - 1);
    return b.toString();
  }

  /** Wall time and frozen-part counts, summed over the phases of one run. */
  static final class Work {
    long decodeMillis;
    long forwardMillis;
    long trainMillis;
    int computed;
    int cached;

    void add(FeatureSource source) {
      decodeMillis += source.decodeMillis();
      forwardMillis += source.forwardMillis();
      computed += source.computed();
      cached += source.cached();
    }
  }

  /**
   * @param full the whole network for export
   * @param result history (head first, then any later stage) and the best epoch overall
   * @param val the readable validation images (parity check and evaluation)
   * @param heldOut which validation photos chose the epoch and which the estimate is measured on
   * @param linear the L-BFGS head's strength search (null for an Adam head)
   * @param validationTrainedOn true when the shipped head also learnt from the validation photos
   */
  record Trained(ComputationGraph full, HeadTrainer.Result result, FeatureSource.Features val,
      HeldOut heldOut, LinearHead.Fitted linear, boolean validationTrainedOn) {}

  /**
   * The pretrained modes: the head is trained on frozen features (ONNX Runtime, cached); then,
   * for fine-tune and full, more of the network is trained starting from that head.
   *
   * <p>With the L-BFGS head in mode feature-extractor no epoch is chosen: without a {@code val/}
   * folder the head's strength is chosen by cross-validation over every photo, the estimate is
   * nested cross-validation and the shipped head learns from every photo; with a {@code val/}
   * folder the head learns from {@code train/} and the estimate is measured on {@code val/}.
   * Whenever an epoch is chosen on validation loss, the validation photos are halved ({@link
   * HeldOut#halves}).
   */
  private static Trained pretrained(TrainingRequest request, Mode mode, Preprocessing raw,
      ExecutorService pool, PhotoReads photos, List<SkippedImage> skipped, Work work,
      ProgressListener listener)
      throws KilnException, UserProblemException {
    Dataset data = request.dataset();
    Backbone backbone = request.backbone();
    boolean linear = request.headSolver().resolve(backbone.hiddenUnits()) == HeadSolver.LBFGS;
    boolean refitAll = linear && mode == Mode.FEATURE_EXTRACTOR && !data.explicitSplit();
    String cut = request.featureLayer() == null ? backbone.architecture().lastFeatureLayer()
        : request.featureLayer();
    // pooled rows depend on the pooling (average rows keep their old keys)
    String pooled = (backbone.pooling() == org.deeplearning4j.nn.conf.layers.PoolingType.AVG ? cut
        : cut + "|" + backbone.pooling())
        + (backbone.featureDepths() == 1 ? "" : "|depths" + backbone.featureDepths());
    if (backbone.architecture() instanceof dev.kiln.maven.backbone.OnnxArchitecture user) {
      listener.phase("backbone", "ONNX graph " + Path.of(backbone.source()).getFileName()
          + " cut at '" + user.cut() + "' (" + user.why() + "), shape "
          + java.util.Arrays.toString(user.cutShape()) + (user.cutShape().length == 4
              ? ", then global " + backbone.pooling().name().toLowerCase(Locale.ROOT)
                  + " pooling" : ""));
    }
    FeatureCache cache = request.cacheDir() == null ? null : new FeatureCache(request.cacheDir(),
        backbone.cacheIdentity(), pooled, raw.toSpec());
    FeatureSource.Features plain;
    FeatureSource.Features train;
    FeatureSource.Features val;
    float[][] mirrored = null;
    try (FeatureSource source = new FeatureSource(backbone, request.featureLayer(), true, raw,
        request.device(), cache, pool, photos)) {
      plain = source.features(data.train(), skipped);
      val = source.features(data.validation(), skipped);
      train = refitAll ? concat(plain, val) : plain;
      List<LabelledImage> copied = refitAll ? train.images() : data.train();
      for (int copy = 1; copy <= request.augmentedCopies(); copy++) {
        train = concat(train, source.features(copied, new ArrayList<>(),
            request.augmentation(), request.seed(), copy));
      }
      if (linear && request.settings().head().testTimeFlip()) {
        mirrored = mirroredRows(source, train);
      }
      listener.phase("features", "frozen " + backbone.architecture().id() + " up to " + cut
          + (backbone.featureDepths() == 1 ? "" : " (pooled outputs of "
              + backbone.architecture().depthsEndingAt(cut, backbone.featureDepths())
              + " concatenated)")
          + ": " + Count.of(source.computed(), "image") + " computed on ONNX Runtime ("
          + source.deviceInUse() + "), " + source.cached() + " from the cache");
      work.add(source);
    }
    photos.requireUnchanged(); // before any photo count or decision relies on them
    checkImages(request, data, plain.labels(), val.labels(), skipped, listener);
    HeldOut heldOut = linear && mode == Mode.FEATURE_EXTRACTOR
        ? HeldOut.all(data.validation(), "the " + Count.of(data.validation().size(), "photo")
            + " of the"
            + " val/ folder, which no training decision used (the head learnt from train/, its"
            + " L2 strength chosen by cross-validation inside train/)")
        : HeldOut.halves(data.validation(), request.seed());

    listener.phase("training", "new head: " + data.labels().size() + " labels, "
        + Count.of(train.labels().length, "training example")
        + (refitAll ? " (every photo: the training and the validation side)" : "") + " ("
        + (request.augmentedCopies() == 0 ? "no augmentation"
            : Count.of(request.augmentedCopies(), "augmented copy", "augmented copies")
                + " per image") + ")"
        + (linear ? "" : ", up to " + request.epochs() + " epochs"));
    long t0 = System.nanoTime();
    double[] weights = classWeights(request, train.labels(), data, listener);
    LinearHead.Fitted fitted = null;
    HeadTrainer.Result head;
    FeatureSource.Features selection = heldOut.selectionOf(val);
    if (linear) {
      fitted = LinearHead.fit(train, mirrored, data.labels().size(), request, weights, refitAll,
          listener);
      head = fitted.head();
    } else {
      head = HeadTrainer.train(train.rows(), train.labels(), selection.rows(),
          selection.labels(), data.labels().size(), HeadTrainer.Config.of(request,
              request.learningRate(), weights, backbone.hiddenUnits()), listener);
    }
    work.trainMillis += (System.nanoTime() - t0) / 1_000_000;
    if (mode == Mode.FINE_TUNE) {
      return DeeperTraining.fineTune(request, head, weights, raw, pool, listener, work, val,
          heldOut, fitted, photos);
    }
    if (mode == Mode.FULL) {
      return DeeperTraining.fullTune(request, head, weights, plain, val, heldOut, fitted, raw,
          pool, photos, listener, work);
    }
    if (backbone.architecture() instanceof dev.kiln.maven.backbone.OnnxArchitecture) {
      // the user's graph is stitched to the head at export: no DL4J network of the whole
      return new Trained(null, head, val, heldOut, fitted, refitAll);
    }
    ComputationGraph full = backbone.classifierGraph(request.featureLayer(), data.labels().size(),
        request.dropout(), request.seed(), new Adam(request.learningRate()));
    DeeperTraining.copyParameters(head.head(), full); // the head's layers, by name
    return new Trained(full, head, val, heldOut, fitted, refitAll);
  }

  /**
   * The features of each row's mirror image, aligned with {@code rows}: photos get their
   * mirror's features (the cross-validation scores them as the flipping model would); augmented
   * copies, which are never scored, keep their own.
   */
  private static float[][] mirroredRows(FeatureSource source, FeatureSource.Features rows)
      throws KilnException {
    List<LabelledImage> photos = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (LabelledImage i : rows.images()) {
      if (seen.add(i.relativePath())) {
        photos.add(i);
      }
    }
    FeatureSource.Features m = source.mirrored(photos, new ArrayList<>());
    java.util.Map<String, float[]> byPath = new java.util.HashMap<>();
    for (int i = 0; i < m.images().size(); i++) {
      byPath.put(m.images().get(i).relativePath(), m.rows()[i]);
    }
    float[][] out = new float[rows.rows().length][];
    for (int i = 0; i < out.length; i++) {
      out[i] = byPath.getOrDefault(rows.images().get(i).relativePath(), rows.rows()[i]);
    }
    return out;
  }

  /**
   * @param trainLabels label per readable training example
   * @param validationLabels label per readable validation example
   */
  static void checkImages(TrainingRequest request, Dataset data, int[] trainLabels,
      int[] validationLabels, List<SkippedImage> skipped, ProgressListener listener)
      throws UserProblemException {
    for (SkippedImage s : skipped) {
      listener.warn("skipped " + s.relativePath() + ": " + s.reason());
    }
    if (!skipped.isEmpty() && request.failOnBadImages()) {
      StringBuilder list = new StringBuilder();
      for (SkippedImage s : skipped) {
        list.append("\n  ").append(s.relativePath()).append(": ").append(s.reason());
      }
      throw new UserProblemException(Count.of(skipped.size(), "image") + " could not be read and"
          + " failOnBadImages is set:" + list + "\nFix or remove them, or unset failOnBadImages"
          + " (kiln.failOnBadImages) to skip them");
    }
    if (!skipped.isEmpty()) {
      listener.phase("dataset", readableSummary(data, trainLabels, validationLabels,
          skipped.size()));
    }
    checkEveryLabelHasImages(data, trainLabels, "training");
    int readableValidation = validationLabels.length;
    if (readableValidation == 0) {
      throw new UserProblemException("no validation image could be read; see the skipped list");
    }
  }

  /** @return the per-label counts of the photos actually used, after the unreadable ones */
  static String readableSummary(Dataset data, int[] train, int[] validation, int skipped) {
    return String.format("used after leaving out %s: %d training and %d validation",
        Count.of(skipped, "unreadable photo"), train.length, validation.length)
        + data.perLabel(data.counts(train), data.counts(validation));
  }

  static FeatureSource.Features concat(FeatureSource.Features a,
      FeatureSource.Features b) {
    List<LabelledImage> images = new ArrayList<>(a.images());
    images.addAll(b.images());
    float[][] rows = java.util.stream.Stream.concat(java.util.Arrays.stream(a.rows()),
        java.util.Arrays.stream(b.rows())).toArray(float[][]::new);
    int[] labels = java.util.stream.IntStream.concat(java.util.Arrays.stream(a.labels()),
        java.util.Arrays.stream(b.labels())).toArray();
    String[] keys = a.keys() == null || b.keys() == null ? null
        : java.util.stream.Stream.concat(java.util.Arrays.stream(a.keys()),
            java.util.Arrays.stream(b.keys())).toArray(String[]::new);
    return new FeatureSource.Features(images, rows, labels, keys);
  }

  /** Imbalance at which balanced class weights are applied (largest / smallest label). */
  static final double IMBALANCE = 1.5;

  static double[] classWeights(TrainingRequest request, int[] labels, Dataset data,
      ProgressListener listener) {
    if (!request.balanceClasses()) {
      return null;
    }
    int[] counts = data.counts(labels);
    int min = java.util.Arrays.stream(counts).min().orElse(0);
    int max = java.util.Arrays.stream(counts).max().orElse(0);
    if (min == 0 || max < IMBALANCE * min) {
      return null;
    }
    double[] w = HeadTrainer.balancedWeights(labels, counts.length);
    listener.phase("training", "labels are imbalanced (" + max + " vs " + min
        + " images): loss weighted per label " + java.util.Arrays.toString(
            java.util.Arrays.stream(w).map(v -> Math.round(v * 1000) / 1000.0).toArray()));
    return w;
  }

  private static void checkEveryLabelHasImages(Dataset data, int[] labels, String side)
      throws UserProblemException {
    int[] counts = data.counts(labels);
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] == 0) {
        throw new UserProblemException("label '" + data.labels().get(i) + "' has no readable "
            + side + " image; see the skipped images above and add readable ones");
      }
    }
  }

}
