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
 * Orchestrates one training run in feature-extractor mode: the frozen backbone is exported to
 * ONNX and run once per image by ONNX Runtime; DL4J trains only the new head on those features;
 * the backbone and trained head are exported together (normalisation and softmax inside) and the
 * export is checked against the DL4J network on the validation images through the runtime.
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

    int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
    ExecutorService pool = Executors.newFixedThreadPool(cores, r -> {
      Thread t = new Thread(r, "kiln-decode");
      t.setDaemon(true);
      return t;
    });
    String cut = request.featureLayer() == null ? backbone.architecture().lastFeatureLayer()
        : request.featureLayer();
    FeatureCache cache = request.cacheDir() == null ? null : new FeatureCache(request.cacheDir(),
        backbone.sha256(), cut, raw.toSpec());
    try (FeatureSource source = new FeatureSource(backbone, request.featureLayer(), true, raw,
        request.device(), cache, pool)) {
      List<SkippedImage> skipped = new ArrayList<>();
      FeatureSource.Features train = source.features(data.train(), skipped);
      FeatureSource.Features val = source.features(data.validation(), skipped);
      for (int copy = 1; copy <= request.augmentedCopies(); copy++) {
        train = concat(train, source.features(data.train(), new ArrayList<>(),
            request.augmentation(), request.seed(), copy));
      }
      listener.phase("features", "frozen " + backbone.architecture().id() + " up to " + cut
          + ": " + source.computed() + " images computed on ONNX Runtime ("
          + source.deviceInUse() + "), " + source.cached() + " from the cache");
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

      listener.phase("training", "new head: " + data.labels().size() + " labels, "
          + train.labels().length + " training examples ("
          + (request.augmentedCopies() == 0 ? "no augmentation"
              : request.augmentedCopies() + " augmented copies per image") + "), up to "
          + request.epochs() + " epochs");
      long t0 = System.nanoTime();
      HeadTrainer.Result head = HeadTrainer.train(train.rows(), train.labels(), val.rows(), val.labels(),
          data.labels().size(), new HeadTrainer.Config(request.epochs(), request.batchSize(),
              request.learningRate(), request.dropout(), request.weightDecay(),
              request.patience(), request.seed(), request.labelSmoothing(),
              classWeights(request, train.labels(), data, listener), request.schedule()),
          listener);
      ComputationGraph full;
      long[] extra = new long[4];
      if (request.mode() == Mode.FINE_TUNE) {
        FineTuned tuned = fineTune(request, head, raw, pool, listener, extra);
        full = tuned.full();
        head = tuned.result();
      } else {
        full = backbone.classifierGraph(request.featureLayer(), data.labels().size(),
            request.dropout(), request.seed(), new Adam(request.learningRate()));
        full.getLayer(Backbone.HEAD).setParams(head.head().getLayer(Backbone.HEAD).params());
      }
      long headMillis = (System.nanoTime() - t0) / 1_000_000 - extra[0] - extra[1];

      listener.phase("export", "backbone + head to ONNX, parity check on "
          + val.images().size() + " validation images");
      long t1 = System.nanoTime();
      Exported exported = export(request, full, head, val, skipped, imageShape);
      Checked checked = check(full, exported, val, raw, backbone, pool);
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
          new TrainingResult.Timings(source.decodeMillis() + extra[0],
              source.forwardMillis() + extra[1], headMillis, exportMillis,
              source.computed() + (int) extra[2], source.cached() + (int) extra[3]));
    } catch (KilnException e) {
      throw new IllegalStateException(e.getMessage(), e);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * @param full the whole network for export
   * @param result combined history (head first, then fine-tuning) and the best epoch overall
   */
  record FineTuned(ComputationGraph full, HeadTrainer.Result result) {}

  /**
   * Fine-tuning after the head was trained on the frozen backbone: the frozen part runs once per
   * image on ONNX Runtime up to where the top blocks start (feature maps, cached); DL4J trains
   * the top blocks (BatchNorm folded, statistics frozen) and the head at a hundredth of the
   * learning rate, starting from the trained head; if no epoch beats the head alone on
   * validation loss, the head alone is kept. {@code extra} receives decode and forward millis and
   * computed / cached counts.
   */
  private static FineTuned fineTune(TrainingRequest request, HeadTrainer.Result head,
      Preprocessing raw, ExecutorService pool, ProgressListener listener, long[] extra)
      throws KilnException {
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
      train = maps.features(request.dataset().train(), new ArrayList<>());
      val = maps.features(request.dataset().validation(), new ArrayList<>());
      for (int copy = 1; copy <= request.augmentedCopies(); copy++) {
        train = concat(train, maps.features(request.dataset().train(), new ArrayList<>(),
            request.augmentation(), request.seed(), copy));
      }
      extra[0] = maps.decodeMillis();
      extra[1] = maps.forwardMillis();
      extra[2] = maps.computed();
      extra[3] = maps.cached();
    }
    // the Keras fine-tuning guide: Adam at 1e-5 after the head was trained at 1e-3
    double lr = request.learningRate() / 100;
    listener.phase("fine-tuning", "top " + blocks + " blocks after " + cut + " and the head,"
        + " learning rate " + lr + ", BatchNorm statistics frozen");
    ComputationGraph top = backbone.topGraph(blocks, classes, request.dropout(), request.seed(),
        new Adam(lr));
    top.getLayer(Backbone.HEAD).setParams(head.head().getLayer(Backbone.HEAD).params());
    HeadTrainer.Result tuned = HeadTrainer.fit(top, Nd4j.create(train.rows()),
        backbone.architecture().shapeAfter(cut, backbone.inputSize()), train.labels(),
        Nd4j.create(val.rows()), val.labels(), classes,
        new HeadTrainer.Config(request.epochs(), request.batchSize(), lr, request.dropout(),
            request.weightDecay(), request.patience(), request.seed(), request.labelSmoothing(),
            null, request.schedule()), true, listener);
    ComputationGraph full = backbone.fineTunedGraph(blocks, classes, request.dropout(),
        request.seed());
    for (Layer layer : top.getLayers()) {
      if (layer.numParams() > 0) {
        // per parameter: a flat setParams mis-orders DepthwiseConvolution2D's W and b
        Layer target = full.getLayer(layer.conf().getLayer().getLayerName());
        layer.paramTable().forEach((key, value) -> target.getParam(key).assign(value));
      }
    }
    List<EpochStats> history = new ArrayList<>(head.history());
    history.addAll(tuned.history());
    int best = tuned.bestEpoch() == 0 ? head.bestEpoch()
        : head.history().size() + tuned.bestEpoch();
    listener.debug("fine-tuning best epoch " + tuned.bestEpoch() + " (0 = the head alone)");
    return new FineTuned(full, new HeadTrainer.Result(full, history, best));
  }

  private static FeatureSource.Features concat(FeatureSource.Features a,
      FeatureSource.Features b) {
    List<LabelledImage> images = new ArrayList<>(a.images());
    images.addAll(b.images());
    float[][] rows = java.util.stream.Stream.concat(java.util.Arrays.stream(a.rows()),
        java.util.Arrays.stream(b.rows())).toArray(float[][]::new);
    int[] labels = java.util.stream.IntStream.concat(java.util.Arrays.stream(a.labels()),
        java.util.Arrays.stream(b.labels())).toArray();
    return new FeatureSource.Features(images, rows, labels);
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

  private static Exported export(TrainingRequest request, ComputationGraph full,
      HeadTrainer.Result head, FeatureSource.Features val, List<SkippedImage> skipped, long[] imageShape) {
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
    training.put("mode", request.mode().id());
    training.put("feature_layer", request.featureLayer() == null
        ? b.architecture().lastFeatureLayer() : request.featureLayer());
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
