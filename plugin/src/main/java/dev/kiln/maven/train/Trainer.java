package dev.kiln.maven.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.maven.UserProblemException;
import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.engine.Dl4jSetup;
import dev.kiln.maven.export.OnnxExporter;
import dev.kiln.maven.export.ParityChecker;
import dev.kiln.runtime.Classification;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.ModelMetadata;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.nio.FloatBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
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
   * @param request what to train
   * @param listener progress
   * @return the exported model and its metrics
   * @throws UserProblemException for bad data (e.g. all images of a label unreadable, or any
   *     unreadable image with failOnBadImages) or a parity failure
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
    if (mode == Mode.AUTO) {
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
    try {
      List<SkippedImage> skipped = new ArrayList<>();
      Trained trained = mode == Mode.SCRATCH
          ? scratch(request, raw, pool, skipped, work, listener)
          : pretrained(request, mode, raw, pool, skipped, work, listener);
      FeatureSource.Features val = trained.val();
      HeadTrainer.Result head = trained.result();

      listener.phase("export", "network to ONNX, parity check on "
          + val.images().size() + " validation images");
      long t1 = System.nanoTime();
      Exported exported = export(request, mode, why, trained.full(), head, skipped, imageShape);
      Checked checked = check(trained.full(), exported, val, raw, backbone, pool);
      long exportMillis = (System.nanoTime() - t1) / 1_000_000;
      if (!checked.parity.passed(ParityChecker.TOLERANCE)) {
        throw new IllegalStateException("the exported ONNX model differs from the trained network"
            + " by " + checked.parity.maxAbsDiff() + " (limit " + ParityChecker.TOLERANCE
            + "); first diverging layer: " + checked.parity.divergingLayer());
      }
      Evaluation evaluation = Evaluation.of(data.labels(), val.labels(), checked.probabilities,
          val.images().stream().map(LabelledImage::relativePath).toList(), 12);
      return new TrainingResult(exported.onnx, exported.metadata, evaluation, head.history(),
          head.bestEpoch(), List.copyOf(skipped), checked.parity,
          new TrainingResult.Timings(work.decodeMillis, work.forwardMillis, work.trainMillis,
              exportMillis, work.computed, work.cached));
    } catch (KilnException e) {
      throw new IllegalStateException(e.getMessage(), e);
    } finally {
      pool.shutdownNow();
    }
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
   * @param val the readable validation images
   */
  record Trained(ComputationGraph full, HeadTrainer.Result result, FeatureSource.Features val) {}

  /**
   * The pretrained modes: the head is trained on frozen features (ONNX Runtime, cached); then,
   * for fine-tune and full, more of the network is trained starting from that head.
   */
  private static Trained pretrained(TrainingRequest request, Mode mode, Preprocessing raw,
      ExecutorService pool, List<SkippedImage> skipped, Work work, ProgressListener listener)
      throws KilnException, UserProblemException {
    Dataset data = request.dataset();
    Backbone backbone = request.backbone();
    String cut = request.featureLayer() == null ? backbone.architecture().lastFeatureLayer()
        : request.featureLayer();
    // pooled rows depend on the pooling (average rows keep their old keys)
    String pooled = backbone.pooling() == org.deeplearning4j.nn.conf.layers.PoolingType.AVG ? cut
        : cut + "|" + backbone.pooling();
    FeatureCache cache = request.cacheDir() == null ? null : new FeatureCache(request.cacheDir(),
        backbone.sha256(), pooled, raw.toSpec());
    FeatureSource.Features plain;
    FeatureSource.Features train;
    FeatureSource.Features val;
    try (FeatureSource source = new FeatureSource(backbone, request.featureLayer(), true, raw,
        request.device(), cache, pool)) {
      plain = source.features(data.train(), skipped);
      val = source.features(data.validation(), skipped);
      train = plain;
      for (int copy = 1; copy <= request.augmentedCopies(); copy++) {
        train = concat(train, source.features(data.train(), new ArrayList<>(),
            request.augmentation(), request.seed(), copy));
      }
      listener.phase("features", "frozen " + backbone.architecture().id() + " up to " + cut
          + ": " + source.computed() + " images computed on ONNX Runtime ("
          + source.deviceInUse() + "), " + source.cached() + " from the cache");
      work.add(source);
    }
    checkImages(request, data, train, val, skipped, listener);

    listener.phase("training", "new head: " + data.labels().size() + " labels, "
        + train.labels().length + " training examples ("
        + (request.augmentedCopies() == 0 ? "no augmentation"
            : request.augmentedCopies() + " augmented copies per image") + "), up to "
        + request.epochs() + " epochs");
    long t0 = System.nanoTime();
    double[] weights = classWeights(request, train.labels(), data, listener);
    HeadTrainer.Result head = HeadTrainer.train(train.rows(), train.labels(), val.rows(),
        val.labels(), data.labels().size(), new HeadTrainer.Config(request.epochs(),
            request.batchSize(), request.learningRate(), request.dropout(),
            request.weightDecay(), request.patience(), request.seed(), request.labelSmoothing(),
            weights, request.schedule()),
        listener);
    work.trainMillis += (System.nanoTime() - t0) / 1_000_000;
    if (mode == Mode.FINE_TUNE) {
      return fineTune(request, head, weights, raw, pool, listener, work, val);
    }
    if (mode == Mode.FULL) {
      return fullTune(request, head, weights, plain, val, raw, pool, listener, work);
    }
    ComputationGraph full = backbone.classifierGraph(request.featureLayer(), data.labels().size(),
        request.dropout(), request.seed(), new Adam(request.learningRate()));
    full.getLayer(Backbone.HEAD).setParams(head.head().getLayer(Backbone.HEAD).params());
    return new Trained(full, head, val);
  }

  private static void checkImages(TrainingRequest request, Dataset data,
      FeatureSource.Features train, FeatureSource.Features val, List<SkippedImage> skipped,
      ProgressListener listener) throws UserProblemException {
    for (SkippedImage s : skipped) {
      listener.warn("skipped " + s.relativePath() + ": " + s.reason());
    }
    if (!skipped.isEmpty() && request.failOnBadImages()) {
      throw new UserProblemException(skipped.size() + " image(s) could not be read and"
          + " failOnBadImages is set: " + skipped + "; fix or remove them, or unset"
          + " failOnBadImages (kiln.failOnBadImages) to skip them");
    }
    checkEveryLabelHasImages(data, train, "training");
    if (val.labels().length == 0) {
      throw new UserProblemException("no validation image could be read; see the skipped list");
    }
  }

  /**
   * Fine-tuning after the head was trained on the frozen backbone: the frozen part runs once per
   * image on ONNX Runtime up to where the top blocks start (feature maps, cached); DL4J trains
   * the top blocks (BatchNorm folded, statistics frozen) and the head at a hundredth of the
   * learning rate, starting from the trained head; if no epoch beats the head alone on
   * validation loss, the head alone is kept.
   */
  private static Trained fineTune(TrainingRequest request, HeadTrainer.Result head,
      double[] weights, Preprocessing raw, ExecutorService pool, ProgressListener listener, Work work,
      FeatureSource.Features pooledVal) throws KilnException {
    Backbone backbone = request.backbone();
    int blocks = request.fineTuneBlocks();
    String cut = backbone.architecture().cutBefore(blocks);
    int classes = request.dataset().labels().size();
    FeatureCache cache = request.cacheDir() == null ? null : new FeatureCache(request.cacheDir(),
        backbone.sha256(), cut + "|map", raw.toSpec());
    FeatureSource.Features train;
    FeatureSource.Features val;
    try (FeatureSource maps = new FeatureSource(backbone, cut, false, raw, request.device(),
        cache, pool)) {
      maps.leaveRowsInCache(); // maps are large: read back per batch, memory stays flat
      train = maps.features(request.dataset().train(), new ArrayList<>());
      val = maps.features(request.dataset().validation(), new ArrayList<>());
      for (int copy = 1; copy <= request.augmentedCopies(); copy++) {
        train = concat(train, maps.features(request.dataset().train(), new ArrayList<>(),
            request.augmentation(), request.seed(), copy));
      }
      work.add(maps);
    }
    // the Keras fine-tuning guide: Adam at 1e-5 after the head was trained at 1e-3
    double lr = request.learningRate() / 100;
    listener.phase("fine-tuning", "top " + blocks + " blocks after " + cut + " and the head,"
        + " learning rate " + lr + ", BatchNorm statistics frozen");
    ComputationGraph top = backbone.topGraph(blocks, classes, request.dropout(), request.seed(),
        new Adam(lr));
    top.getLayer(Backbone.HEAD).setParams(head.head().getLayer(Backbone.HEAD).params());
    HeadTrainer.weighLoss(top, weights);
    long t0 = System.nanoTime();
    long[] shape = backbone.architecture().shapeAfter(cut, backbone.inputSize());
    HeadTrainer.Result tuned = HeadTrainer.fit(top, mapInputs(cache, train, shape),
        mapInputs(cache, val, shape), classes, lowRate(request, lr), true, listener);
    work.trainMillis += (System.nanoTime() - t0) / 1_000_000;
    ComputationGraph full = backbone.fineTunedGraph(blocks, classes, request.dropout(),
        request.seed());
    copyParameters(top, full);
    return new Trained(full, combine(head, tuned, full, listener), pooledVal);
  }

  /**
   * Mode full, after the head was trained on the frozen backbone: every layer (stem included,
   * BatchNorm folded so its statistics stay as pretrained) and the head are trained from the
   * pixels at a hundredth of the learning rate, images streamed per batch (fresh augmented
   * variants each epoch when augmentation is on). If no epoch beats the head alone on
   * validation loss, the head alone is kept.
   */
  private static Trained fullTune(TrainingRequest request, HeadTrainer.Result head,
      double[] weights, FeatureSource.Features train, FeatureSource.Features val, Preprocessing raw,
      ExecutorService pool, ProgressListener listener, Work work) {
    Backbone backbone = request.backbone();
    int classes = request.dataset().labels().size();
    double lr = request.learningRate() / 100;
    listener.phase("full fine-tuning", "every layer and the head from the pixels, learning rate "
        + lr + ", BatchNorm statistics frozen, " + train.images().size() + " images per epoch"
        + (request.augmentedCopies() == 0 ? ""
            : " + " + request.augmentedCopies() + " fresh augmented copies each"));
    ComputationGraph full = backbone.wholeGraph(true, classes, request.dropout(), request.seed(),
        new Adam(lr));
    full.getLayer(Backbone.HEAD).setParams(head.head().getLayer(Backbone.HEAD).params());
    HeadTrainer.weighLoss(full, weights);
    ImageInputs trainIn = new ImageInputs(train.images(), raw, backbone.normalization(), pool,
        request.augmentation(), request.augmentedCopies(), request.seed());
    ImageInputs valIn = new ImageInputs(val.images(), raw, backbone.normalization(), pool, null,
        0, request.seed());
    long t0 = System.nanoTime();
    HeadTrainer.Result tuned = HeadTrainer.fit(full, trainIn, valIn, classes,
        lowRate(request, lr), true, listener);
    work.decodeMillis += trainIn.decodeMillis() + valIn.decodeMillis();
    work.trainMillis += (System.nanoTime() - t0) / 1_000_000 - trainIn.decodeMillis()
        - valIn.decodeMillis();
    return new Trained(full, combine(head, tuned, full, listener), val);
  }

  /**
   * Mode scratch: the architecture with random weights and BatchNorm layers that learn their
   * statistics, trained from the pixels at the configured learning rate and schedule, images
   * streamed per batch. The pretrained weights are not used.
   */
  private static Trained scratch(TrainingRequest request, Preprocessing raw,
      ExecutorService pool, List<SkippedImage> skipped, Work work, ProgressListener listener)
      throws UserProblemException {
    Dataset data = request.dataset();
    Backbone backbone = request.backbone();
    int classes = data.labels().size();
    long t0 = System.nanoTime();
    List<LabelledImage> trainImages = ImageInputs.readable(data.train(), raw, pool, skipped);
    List<LabelledImage> valImages = ImageInputs.readable(data.validation(), raw, pool, skipped);
    work.decodeMillis += (System.nanoTime() - t0) / 1_000_000;
    FeatureSource.Features val = new FeatureSource.Features(valImages, new float[0][],
        valImages.stream().mapToInt(LabelledImage::label).toArray());
    checkImages(request, data, new FeatureSource.Features(trainImages, new float[0][],
        trainImages.stream().mapToInt(LabelledImage::label).toArray()), val, skipped, listener);
    ImageInputs trainIn = new ImageInputs(trainImages, raw, backbone.normalization(), pool,
        request.augmentation(), request.augmentedCopies(), request.seed());
    ImageInputs valIn = new ImageInputs(valImages, raw, backbone.normalization(), pool, null, 0,
        request.seed());
    int iterations = (trainIn.size() + request.batchSize() - 1) / request.batchSize();
    LearningRateSchedule schedule = request.schedule() == null ? LearningRateSchedule.CONSTANT
        : request.schedule();
    listener.phase("training", backbone.architecture().id() + " from random weights (pretrained"
        + " weights unused), " + trainIn.size() + " examples per epoch, learning rate "
        + request.learningRate() + " (" + schedule.id() + "), up to " + request.epochs()
        + " epochs");
    ComputationGraph g = backbone.wholeGraph(false, classes, request.dropout(), request.seed(),
        schedule == LearningRateSchedule.CONSTANT ? new Adam(request.learningRate())
            : new Adam(schedule.toSchedule(request.learningRate(), request.epochs(),
                iterations)));
    HeadTrainer.weighLoss(g, classWeights(request, trainIn.labels(), data, listener));
    long t1 = System.nanoTime();
    HeadTrainer.Result result = HeadTrainer.fit(g, trainIn, valIn, classes,
        new HeadTrainer.Config(request.epochs(), request.batchSize(), request.learningRate(),
            request.dropout(), request.weightDecay(), request.patience(), request.seed(),
            request.labelSmoothing(), null, schedule), false, listener);
    work.decodeMillis += trainIn.decodeMillis() + valIn.decodeMillis();
    work.trainMillis += (System.nanoTime() - t1) / 1_000_000 - trainIn.decodeMillis()
        - valIn.decodeMillis();
    return new Trained(g, result, val);
  }

  private static HeadTrainer.Config lowRate(TrainingRequest request, double lr) {
    return new HeadTrainer.Config(request.epochs(), request.batchSize(), lr, request.dropout(),
        request.weightDecay(), request.patience(), request.seed(), request.labelSmoothing(), null,
        request.schedule());
  }

  /** The head's history, then the later stage's; best epoch counted over both. */
  private static HeadTrainer.Result combine(HeadTrainer.Result head, HeadTrainer.Result tuned,
      ComputationGraph full, ProgressListener listener) {
    List<EpochStats> history = new ArrayList<>(head.history());
    history.addAll(tuned.history());
    int best = tuned.bestEpoch() == 0 ? head.bestEpoch()
        : head.history().size() + tuned.bestEpoch();
    listener.debug("second stage best epoch " + tuned.bestEpoch() + " (0 = the head alone)");
    return new HeadTrainer.Result(full, history, best);
  }

  private static void copyParameters(ComputationGraph from, ComputationGraph to) {
    for (Layer layer : from.getLayers()) {
      if (layer.numParams() > 0) {
        // per parameter: a flat setParams mis-orders DepthwiseConvolution2D's W and b
        Layer target = to.getLayer(layer.conf().getLayer().getLayerName());
        layer.paramTable().forEach((key, value) -> target.getParam(key).assign(value));
      }
    }
  }

  private static HeadTrainer.Inputs mapInputs(FeatureCache cache, FeatureSource.Features f,
      long[] shape) {
    return f.keys() != null ? new CachedRowsInputs(cache, f, shape)
        : new HeadTrainer.ArrayInputs(Nd4j.create(f.rows()), shape, f.labels());
  }

  private static FeatureSource.Features concat(FeatureSource.Features a,
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

  private static double[] classWeights(TrainingRequest request, int[] labels, Dataset data,
      ProgressListener listener) {
    if (!request.balanceClasses()) {
      return null;
    }
    int[] counts = new int[data.labels().size()];
    for (int l : labels) {
      counts[l]++;
    }
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

  private static void checkEveryLabelHasImages(Dataset data, FeatureSource.Features f, String side)
      throws UserProblemException {
    int[] counts = new int[data.labels().size()];
    for (int l : f.labels()) {
      counts[l]++;
    }
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] == 0) {
        throw new UserProblemException("label '" + data.labels().get(i) + "' has no readable "
            + side + " image; see the skipped images above and add readable ones");
      }
    }
  }

  record Exported(byte[] onnx, ModelMetadata metadata) {}

  private static Exported export(TrainingRequest request, Mode mode, String why,
      ComputationGraph full, HeadTrainer.Result head, List<SkippedImage> skipped,
      long[] imageShape) {
    List<EpochStats> h = head.history();
    EpochStats best = h.get(head.bestEpoch() - 1);
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("validation_accuracy", best.valAccuracy());
    metrics.put("validation_loss", best.valLoss());
    metrics.put("train_accuracy", best.trainAccuracy());
    metrics.put("best_epoch", head.bestEpoch());
    metrics.put("epochs_run", h.size());
    Map<String, String> training = new LinkedHashMap<>();
    Backbone b = request.backbone();
    training.put("backbone", b.architecture().id() + " (" + java.nio.file.Path.of(b.source())
        .getFileName() + ", sha256 " + b.sha256() + ")");
    training.put("mode", mode.id());
    if (why != null) {
      training.put("mode_reason", "auto: " + why);
    }
    training.put("feature_layer", request.featureLayer() == null
        ? b.architecture().lastFeatureLayer() : request.featureLayer());
    training.put("pooling", b.pooling().name().toLowerCase(java.util.Locale.ROOT));
    training.put("images", request.dataset().train().size() + " train, "
        + request.dataset().validation().size() + " validation, " + skipped.size() + " skipped");
    training.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    training.put("seed", Long.toString(request.seed()));
    try {
      training.put("metrics", new ObjectMapper().writeValueAsString(metrics));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    ModelMetadata metadata = new ModelMetadata(ModelMetadata.FORMAT_VERSION,
        request.dataset().labels(), request.modelPreprocessing(),
        ModelMetadata.Output.PROBABILITIES, training);
    byte[] onnx = OnnxExporter.export(full, imageShape, new OnnxExporter.Options(
        b.normalization(), metadata.toProperties(), "probabilities"));
    return new Exported(onnx, metadata);
  }

  record Checked(ParityChecker.Result parity, float[][] probabilities) {}

  /** Runs the exported model through the runtime on the validation images beside DL4J. */
  private static Checked check(ComputationGraph full, Exported exported,
      FeatureSource.Features val,
      Preprocessing raw, Backbone backbone, ExecutorService pool) throws KilnException {
    Preprocessing norm = backbone.normalization();
    float[][] probabilities = new float[val.images().size()][];
    double max = 0;
    long values = 0;
    try (ImageClassifier classifier = ImageClassifier.load(exported.onnx, "exported model",
        ClassifierOptions.defaults().withDevice(Device.CPU))) {
      int size = raw.tensorSize();
      for (int from = 0; from < val.images().size(); from += FeatureSource.BATCH) {
        List<LabelledImage> part = val.images().subList(from,
            Math.min(val.images().size(), from + FeatureSource.BATCH));
        ImageLoader.Chunk chunk = ImageLoader.load(part, raw, pool);
        int n = chunk.fitted().size();
        float[] rawTensor = new float[n * size];
        float[] netTensor = new float[n * size];
        for (int i = 0; i < n; i++) {
          Preprocessor.writeTensor(chunk.fitted().get(i), raw, rawTensor, i * size);
          Preprocessor.writeTensor(chunk.fitted().get(i), norm, netTensor, i * size);
        }
        List<Classification> onnx = classifier.classifyTensor(rawTensor, n);
        INDArray expected = full.outputSingle(false, Nd4j.create(netTensor,
            new long[] {n, 3, raw.height(), raw.width()}, 'c'));
        for (int i = 0; i < n; i++) {
          float[] p = onnx.get(i).scores();
          probabilities[from + i] = p;
          for (int j = 0; j < p.length; j++) {
            max = Math.max(max, Math.abs(p[j] - expected.getFloat(i, j)));
            values++;
          }
        }
      }
    }
    ParityChecker.Result result = new ParityChecker.Result(max, values, null);
    if (!result.passed(ParityChecker.TOLERANCE)) {
      // locate the layer on the first validation image
      ImageLoader.Chunk first = ImageLoader.load(val.images().subList(0, 1), raw, pool);
      float[] r = new float[raw.tensorSize()];
      float[] x = new float[raw.tensorSize()];
      Preprocessor.writeTensor(first.fitted().get(0), raw, r, 0);
      Preprocessor.writeTensor(first.fitted().get(0), norm, x, 0);
      ParityChecker.Result located = ParityChecker.check(full,
          Nd4j.create(x, new long[] {1, 3, raw.height(), raw.width()}, 'c'), exported.onnx, r,
          new OnnxExporter.Options(norm, Map.of(), "probabilities"), ParityChecker.TOLERANCE);
      result = new ParityChecker.Result(max, values, located.divergingLayer());
    }
    return new Checked(result, probabilities);
  }
}
