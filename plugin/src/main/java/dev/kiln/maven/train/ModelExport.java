package dev.kiln.maven.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.OnnxArchitecture;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.dataset.PhotoReads;
import dev.kiln.maven.export.OnnxExporter;
import dev.kiln.maven.export.ParityChecker;
import dev.kiln.maven.head.AccuracyEstimate;
import dev.kiln.runtime.Classification;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.ModelMetadata;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The trained network as a Kiln model: the model contract (labels, preprocessing, training
 * facts) in the metadata, the ONNX export, and the parity check that runs the export through the
 * runtime on the validation images beside DL4J.
 */
final class ModelExport {

  private ModelExport() {}

  record Exported(byte[] onnx, ModelMetadata metadata) {}

  /**
   * @param plan the mode and why
   * @param full the whole trained network, or null for an ONNX backbone's head alone
   * @param head the head (its history and kept epoch)
   * @param linear the L-BFGS head's strength search, or null
   * @return the model with its metadata
   */
  static Exported export(TrainingRun run, Plan plan, ComputationGraph full, FitResult head,
      LinearHead.Selected linear) {
    Mode mode = plan.mode();
    String why = plan.reason();
    List<SkippedImage> skipped = run.skipped();
    Backbone b = run.backbone();
    long[] imageShape = {3, b.inputSize(), b.inputSize()};
    boolean flip = run.settings().head().testTimeFlip();
    Map<String, String> training = new LinkedHashMap<>();
    List<EpochStats> h = head.history();
    Map<String, Object> metrics = new LinkedHashMap<>();
    if (head.bestEpoch() > 0) {
      EpochStats best = h.get(head.bestEpoch() - 1);
      metrics.put("validation_accuracy", best.valAccuracy());
      metrics.put("validation_loss", best.valLoss());
      metrics.put("train_accuracy", best.trainAccuracy());
    }
    metrics.put("best_epoch", head.bestEpoch());
    metrics.put("epochs_run", h.size());
    if (linear != null) {
      metrics.put("head_solver", "lbfgs");
      metrics.put("l2_strength", linear.selection().lambda());
      metrics.put("cv_folds", linear.selection().folds());
      metrics.put("cv_accuracy", linear.selection().chosen().accuracy());
    }
    training.put("backbone", b.architecture().id() + " (" + b.sourceNames() + ", sha256 "
        + b.sha256() + ")");
    training.put("mode", mode.id());
    if (why != null) {
      training.put("mode_reason", "auto: " + why);
    }
    training.put("feature_layer", run.cut());
    training.put("pooling", b.pooling().name().toLowerCase(java.util.Locale.ROOT));
    if (b.featureDepths() > 1) {
      training.put("feature_depths", String.join(",", b.architecture().depthsEndingAt(
          training.get("feature_layer"), b.featureDepths())));
    }
    if (b.hiddenUnits() > 0) {
      training.put("hidden_units", Integer.toString(b.hiddenUnits()));
    }
    training.put("images", imageCounts(run.data(), skipped));
    java.time.Instant date = run.settings().run().outputTimestamp();
    if (date != null) { // project.build.outputTimestamp; otherwise no date: reproducible bytes
      training.put("date", date.truncatedTo(ChronoUnit.SECONDS).toString());
    }
    training.put("seed", Long.toString(run.settings().optimisation().seed()));
    if (flip) {
      training.put("test_time_flip", "true");
    }
    try {
      training.put("metrics", new ObjectMapper().writeValueAsString(metrics));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    ModelMetadata metadata = new ModelMetadata(ModelMetadata.FORMAT_VERSION,
        run.data().labels(), run.raw(),
        ModelMetadata.Output.PROBABILITIES, training);
    byte[] onnx;
    if (b.architecture() instanceof OnnxArchitecture user) {
      // the user's own graph up to the cut — with its trained weights written back when its
      // layers trained — stitched to the head exported alone
      ComputationGraph alone = head.graph();
      if (full != null) {
        user = user.withTrainedWeights(full);
        alone = b.headOf(full, user.features(), run.classes());
      }
      byte[] aloneOnnx = OnnxExporter.export(alone, new long[] {user.features()},
          new OnnxExporter.Options(null, Map.of(), "scores"));
      onnx = user.classifier(b.pooling() == org.deeplearning4j.nn.conf.layers.PoolingType.MAX,
          aloneOnnx, flip, metadata.toProperties());
    } else {
      onnx = OnnxExporter.export(full, imageShape, new OnnxExporter.Options(
          b.normalization(), metadata.toProperties(), "probabilities",
          flip));
    }
    return new Exported(onnx, metadata);
  }

  /**
   * @return the photos of each side that training used, and the skipped ones: a skipped photo is
   *     neither a training nor a validation photo
   */
  static String imageCounts(dev.kiln.maven.dataset.Dataset data, List<SkippedImage> skipped) {
    java.util.Set<String> left = new java.util.HashSet<>();
    skipped.forEach(s -> left.add(s.relativePath()));
    long train = data.train().stream().filter(i -> !left.contains(i.relativePath())).count();
    long val = data.validation().stream().filter(i -> !left.contains(i.relativePath())).count();
    return train + " train, " + val + " validation, " + left.size() + " skipped";
  }

  static String json(Object value) {
    try {
      return new ObjectMapper().writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The model with the estimate in its metadata ({@code kiln.training.estimate}), for estimates
   * measured on the exported model itself (after the export).
   */
  static Exported withEstimate(Exported exported, AccuracyEstimate estimate) {
    return withTraining(exported.onnx(), exported.metadata(), Map.of("estimate",
        json(estimate)));
  }

  /**
   * @param onnx the model's bytes (a float export, or its quantised form)
   * @param metadata the contract so far
   * @param more training facts to add (or replace)
   * @return the model with those facts in its {@code kiln.training.*} metadata
   */
  static Exported withTraining(byte[] onnx, ModelMetadata metadata, Map<String, String> more) {
    Map<String, String> training = new LinkedHashMap<>(metadata.training());
    training.putAll(more);
    ModelMetadata m = new ModelMetadata(metadata.formatVersion(), metadata.labels(),
        metadata.preprocessing(), metadata.output(), training);
    return new Exported(OnnxExporter.withMetadata(onnx, m.toProperties()), m);
  }

  /**
   * Reads the model's metadata back through the runtime (ONNX Runtime's Java binding, as the
   * generated class will) and checks it is what was written: every label, the preprocessing, the
   * output kind and the training facts.
   *
   * @param exported the model to ship
   * @throws IllegalStateException naming the first value that does not read back as written
   */
  static void checkReadBack(Exported exported) {
    ModelMetadata written = exported.metadata();
    ModelMetadata read;
    try (ImageClassifier c = ImageClassifier.load(exported.onnx(), "exported model",
        ClassifierOptions.defaults().withDevice(Device.CPU))) {
      read = c.metadata();
    } catch (KilnException e) {
      throw new IllegalStateException("the exported model's metadata does not read back through"
          + " ONNX Runtime (" + e.getMessage() + "); labels " + written.labels(), e);
    }
    String problem = null;
    String hint = "";
    for (int i = 0; problem == null && i < written.labels().size(); i++) {
      String label = i < read.labels().size() ? read.labels().get(i) : "nothing";
      if (!written.labels().get(i).equals(label)) {
        problem = "label '" + written.labels().get(i) + "' reads back as '" + label + "'";
        hint = " Rename that label folder to plain letters and digits to work around it, and";
      }
    }
    if (problem == null && read.labels().size() != written.labels().size()) {
      problem = written.labels().size() + " labels read back as " + read.labels().size();
    } else if (problem == null && !read.preprocessing().toSpec().equals(
        written.preprocessing().toSpec())) {
      problem = "preprocessing " + written.preprocessing().toSpec() + " reads back as "
          + read.preprocessing().toSpec();
    } else if (problem == null && read.output() != written.output()) {
      problem = "output " + written.output() + " reads back as " + read.output();
    } else if (problem == null && !read.training().equals(written.training())) {
      problem = "training facts " + written.training() + " read back as " + read.training();
    }
    if (problem != null) {
      throw new IllegalStateException("the exported model's metadata does not read back through"
          + " ONNX Runtime as written: " + problem + "; the model would not work as trained, so"
          + " it is not shipped (the previous model stays)." + (hint.isEmpty() ? " Report"
              : hint + " report") + " this as a Kiln bug");
    }
  }

  /** @return the NCHW tensor with every row reversed (left and right swapped) */
  static float[] mirrorWidth(float[] nchw, int n, int h, int w) {
    float[] out = new float[nchw.length];
    for (int row = 0; row < n * 3 * h; row++) {
      int base = row * w;
      for (int x = 0; x < w; x++) {
        out[base + x] = nchw[base + w - 1 - x];
      }
    }
    return out;
  }

  /**
   * Validation photos the trained DL4J network is also run on for the parity check (the exported
   * model runs on all of them): the graph is the same for every input, and DL4J's forward of a
   * whole network is the slow half of the check (1–2 s per 73 photos on 2 cores).
   */
  static final int PARITY_PHOTOS = 32;

  record Checked(ParityChecker.Result parity, float[][] probabilities) {}

  /**
   * What the exported model is compared with: the trained DL4J network, or — for an ONNX
   * backbone — the user's graph up to the cut on ONNX Runtime followed by the DL4J head. Either
   * computes what the exported model does, test-time flip included: with the flip, each photo's
   * probabilities are the mean of its own and its mirror image's.
   */
  interface Reference extends AutoCloseable {

    /**
     * @param raw the images as the model takes them (raw RGB)
     * @param normalized the same images normalised as the backbone expects
     * @param n how many images
     * @param spec the raw images' preprocessing (their size)
     * @return the reference probabilities, {@code [n, classes]}
     */
    INDArray output(float[] raw, float[] normalized, int n, Preprocessing spec)
        throws KilnException;

    /** @return the DL4J network that computes everything, or null */
    default ComputationGraph full() {
      return null;
    }

    @Override
    default void close() {}

    /**
     * @param full the whole trained network
     * @param flip test-time flip: DL4J runs the photos and their mirror images, averaged
     */
    static Reference of(ComputationGraph full, boolean flip) {
      return new Reference() {
        @Override
        public INDArray output(float[] raw, float[] normalized, int n, Preprocessing spec) {
          long[] shape = {n, 3, spec.height(), spec.width()};
          INDArray out = full.outputSingle(false, Nd4j.create(normalized, shape, 'c'));
          if (flip) {
            out = out.add(full.outputSingle(false, Nd4j.create(
                mirrorWidth(normalized, n, spec.height(), spec.width()), shape, 'c'))).muli(0.5);
          }
          return out;
        }

        @Override
        public ComputationGraph full() {
          return full;
        }
      };
    }

    /**
     * Backbone then head: the user's graph on ONNX Runtime — read from the shipped model itself,
     * its {@code features} exposed, so that only the head and the stitching are compared, not two
     * sessions' different fusions of the same nodes — then the trained DL4J head. With test-time
     * flip the shipped graph mirrors the batch in front of the backbone, so its {@code features}
     * hold the photos' rows, then their mirror images' ({@code [2n, C]}); the head's two halves
     * are averaged as the graph averages them.
     *
     * @param flip whether the shipped model flips at test time
     */
    static Reference of(Exported shipped, Backbone backbone, ComputationGraph head, boolean flip,
        Device device) throws KilnException {
      long[] shape = {3, backbone.inputSize(), backbone.inputSize()};
      FrozenForward frozen = new FrozenForward(
          dev.kiln.maven.export.OnnxSurgery.exposing(shipped.onnx(), "features"), shape, device);
      return new Reference() {
        @Override
        public INDArray output(float[] raw, float[] normalized, int n, Preprocessing spec)
            throws KilnException {
          java.nio.FloatBuffer in = frozen.inputBuffer(n);
          in.put(raw, 0, n * spec.tensorSize());
          float[][] features = frozen.run(n);
          int rows = flip ? 2 * n : n;
          if (features.length != rows) {
            throw new IllegalStateException("the shipped model's features have " + features.length
                + " rows for " + n + " photos, expected " + rows + (flip ? " (photos, then their"
                    + " mirror images)" : ""));
          }
          INDArray out = head.outputSingle(false, Nd4j.create(features));
          if (!flip) {
            return out;
          }
          return out.get(NDArrayIndex.interval(0, n), NDArrayIndex.all())
              .add(out.get(NDArrayIndex.interval(n, 2 * n), NDArrayIndex.all())).muli(0.5);
        }

        @Override
        public void close() {
          frozen.close();
        }
      };
    }
  }

  /** Runs the exported model through the runtime on the validation images beside DL4J. */
  static Checked check(Reference reference, Exported exported,
      FeatureSource.Features val, Preprocessing raw, Backbone backbone, ExecutorService pool,
      PhotoReads photos) throws KilnException {
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
        ImageLoader.Chunk chunk = ImageLoader.load(part, raw, pool, photos);
        int n = chunk.fitted().size();
        float[] rawTensor = new float[n * size];
        float[] netTensor = new float[n * size];
        for (int i = 0; i < n; i++) {
          Preprocessor.writeTensor(chunk.fitted().get(i), raw, rawTensor, i * size);
          Preprocessor.writeTensor(chunk.fitted().get(i), norm, netTensor, i * size);
        }
        List<Classification> onnx = dev.kiln.runtime.internal.Tensors.classify(classifier,
            rawTensor, n);
        for (int i = 0; i < n; i++) {
          probabilities[from + i] = onnx.get(i).scores();
        }
        if (from >= PARITY_PHOTOS) {
          continue; // the exported model's outputs for the evaluation; DL4J's for parity only
        }
        INDArray expected = reference.output(rawTensor, netTensor, n, raw);
        for (int i = 0; i < n; i++) {
          float[] p = probabilities[from + i];
          for (int j = 0; j < p.length; j++) {
            max = Math.max(max, Math.abs(p[j] - expected.getFloat(i, j)));
            values++;
          }
        }
      }
    }
    ParityChecker.Result result = new ParityChecker.Result(max, values, null);
    if (!result.passed(ParityChecker.TOLERANCE) && reference.full() == null) {
      result = new ParityChecker.Result(max, values, "the stitched graph (the backbone's nodes"
          + " are the user's, unchanged: the head or the stitching)");
    } else if (!result.passed(ParityChecker.TOLERANCE)) {
      ComputationGraph full = reference.full();
      // locate the layer on the first validation image
      ImageLoader.Chunk first = ImageLoader.load(val.images().subList(0, 1), raw, pool, photos);
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
