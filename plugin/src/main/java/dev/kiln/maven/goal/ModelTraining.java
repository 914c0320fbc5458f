package dev.kiln.maven.goal;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.backbone.OnnxBackbones;
import dev.kiln.maven.backbone.ParallelBackbones;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.maven.train.Trainer;
import dev.kiln.maven.train.TrainingRequest;
import dev.kiln.maven.train.TrainingResult;

/**
 * Step 3 of the train goal: reads the backbone's weights and trains ({@link Trainer}) with the
 * configuration mapped onto a {@link TrainingRequest}.
 */
final class ModelTraining {

  private ModelTraining() {}

  static TrainingResult train(TrainConfiguration c, TrainInputs inputs,
      ProgressListener listener) throws UserProblemException {
    checkMode(c, inputs.backboneFiles());
    Backbone backbone = backbone(c, inputs.backboneFiles(), line -> listener.phase("backbone",
        line)).withHiddenUnits(c.head().hiddenUnits());
    TrainingRequest request;
    try {
      request = request(c, inputs, backbone);
    } catch (IllegalArgumentException e) {
      throw new UserProblemException("invalid training configuration: " + e.getMessage(), e);
    }
    return Trainer.train(request, listener);
  }

  /**
   * The backbone with the configured pooling and depths: one (see {@link #backbone(
   * TrainConfiguration, java.nio.file.Path)}), or several side by side in one frozen graph
   * ({@link ParallelBackbones}).
   *
   * @param files the weights files, one per backbone
   * @param log where the shared input size is said
   */
  static Backbone backbone(TrainConfiguration c, java.util.List<java.nio.file.Path> files,
      java.util.function.Consumer<String> log) throws UserProblemException {
    if (files.size() == 1) {
      return backbone(c, files.get(0)).withPooling(c.backbone().pooling())
          .withFeatureDepths(c.backbone().featureDepths());
    }
    String names = names(files);
    refuse("featureLayer", c.backbone().featureLayer(), names);
    refuse("backboneFamily", c.backbone().family(), names);
    refuse("preprocessing", c.backbone().preprocessing(), names);
    int trained = BackboneResolver.trainedSize(c.backbone().source());
    int size = c.backbone().inputSize() > 0 ? c.backbone().inputSize() : trained;
    java.util.List<Backbone> trunks = new java.util.ArrayList<>();
    java.util.Set<Integer> sizes = new java.util.TreeSet<>();
    for (java.nio.file.Path f : files) {
      if (f.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")) {
        throw new UserProblemException("several backbones (" + names + ") combine Keras-family"
            + " weights (catalogue names, .h5, model.json); " + f.getFileName() + " is an ONNX"
            + " graph: use it alone in <backbone> (kiln.backbone)");
      }
      trunks.add(BackboneResolver.resolve(f, size, null).withPooling(c.backbone().pooling())
          .withFeatureDepths(c.backbone().featureDepths()));
    }
    if (c.backbone().source() instanceof dev.kiln.maven.backbone.BackboneSource.Several s) {
      s.parts().forEach(p -> sizes.add(BackboneResolver.trainedSize(p)));
    }
    log.accept("several backbones: " + names + ", side by side at " + size + " px ("
        + (c.backbone().inputSize() > 0 ? "inputSize" : "the first's trained size")
        + (sizes.size() > 1 ? "; their weights were trained at " + sizes + " px" : "")
        + "), pooled features concatenated");
    try {
      return ParallelBackbones.combine(trunks, c.backbone().resize())
          .withPooling(c.backbone().pooling());
    } catch (IllegalArgumentException e) {
      throw new UserProblemException("several backbones (" + names + "): " + e.getMessage()
          + " (setting <backbone>, property kiln.backbone)", e);
    }
  }

  private static String names(java.util.List<java.nio.file.Path> files) {
    return files.stream().map(f -> f.getFileName().toString())
        .collect(java.util.stream.Collectors.joining("+"));
  }

  /** Several backbones train in mode feature-extractor (or auto, which picks it) only. */
  private static void checkMode(TrainConfiguration c, java.util.List<java.nio.file.Path> files)
      throws UserProblemException {
    Mode mode = c.optimisation().mode();
    if (files.size() > 1 && mode != Mode.FEATURE_EXTRACTOR && mode != Mode.AUTO) {
      throw new UserProblemException("mode " + mode.id() + " with several backbones ("
          + names(files) + "): their trunks stay frozen side by side; set <mode> (kiln.mode) to"
          + " feature-extractor or auto, or name one backbone in <backbone> (kiln.backbone) to "
          + mode.id() + " it");
    }
  }

  /** Refuses a setting that describes one backbone when several are named. */
  private static void refuse(String setting, String value, String names)
      throws UserProblemException {
    if (value != null) {
      throw new UserProblemException("<" + setting + "> (kiln." + setting + ") with several"
          + " backbones (" + names + "): it describes one backbone; remove it (each backbone"
          + " is cut at its default layer and normalised as its weights expect)");
    }
  }

  /** The backbone: Keras weights built by their family, or a user's ONNX graph. */
  static Backbone backbone(TrainConfiguration c, java.nio.file.Path file)
      throws UserProblemException {
    if (!file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")) {
      int size = c.backbone().inputSize() > 0 ? c.backbone().inputSize()
          : BackboneResolver.trainedSize(c.backbone().source());
      return BackboneResolver.resolve(file, size, c.backbone().family());
    }
    Mode mode = c.optimisation().mode();
    if (mode == Mode.SCRATCH) {
      throw new UserProblemException("mode scratch with an ONNX backbone (" + file + "): an"
          + " exported graph carries trained weights, and its BatchNorm is usually folded into"
          + " the convolutions, so it cannot start from random weights; use mode"
          + " feature-extractor, fine-tune or full (kiln.mode)");
    }
    if (c.backbone().featureDepths() > 1) {
      throw new UserProblemException("featureDepths " + c.backbone().featureDepths() + " with"
          + " an ONNX backbone: Kiln cuts an ONNX graph at one tensor; set featureDepths to 1");
    }
    boolean train = mode == Mode.FINE_TUNE || mode == Mode.FULL;
    Backbone b = OnnxBackbones.resolve(file, c.backbone().featureLayer(),
        c.backbone().preprocessing(), c.backbone().resize(), train);
    if (train) {
      try {
        OnnxBackbones.checkImport(b, mode == Mode.FULL ? 0
            : c.optimisation().fineTuneBlocks());
      } catch (IllegalArgumentException e) {
        throw new UserProblemException("mode " + mode.id() + " with " + file + ": "
            + e.getMessage(), e);
      }
    }
    if (c.backbone().inputSize() != 0 && c.backbone().inputSize() != b.inputSize()) {
      throw new UserProblemException("inputSize " + c.backbone().inputSize() + " differs from"
          + " the size in <preprocessing> (" + b.inputSize() + "); leave inputSize out");
    }
    return b;
  }

  /** The configuration as the training engine takes it: the photos, the backbone, itself. */
  static TrainingRequest request(TrainConfiguration c, TrainInputs inputs, Backbone backbone)
      throws UserProblemException {
    java.util.List<Backbone> alternatives = new java.util.ArrayList<>();
    for (int i = 0; i < inputs.alternativeFiles().size(); i++) {
      alternatives.add(alternative(c, c.backbone().alternatives().get(i),
          inputs.alternativeFiles().get(i)));
    }
    return new TrainingRequest(inputs.dataset(), backbone, c, inputs.photos(), alternatives);
  }

  /** One of auto's other backbones: Keras weights at its own size, frozen, one depth. */
  static Backbone alternative(TrainConfiguration c, dev.kiln.maven.backbone.BackboneSource source,
      java.nio.file.Path file) throws UserProblemException {
    if (file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")) {
      throw new UserProblemException("backbones lists " + file + ": an ONNX graph needs its own"
          + " <preprocessing>, so it can only be the backbone itself; list Keras or TF.js"
          + " backbones in backbones (kiln.backbones)");
    }
    int size = c.backbone().inputSize() > 0 ? c.backbone().inputSize()
        : BackboneResolver.trainedSize(source);
    return BackboneResolver.resolve(file, size, null).withPooling(c.backbone().pooling())
        .withHiddenUnits(c.head().hiddenUnits());
  }
}
