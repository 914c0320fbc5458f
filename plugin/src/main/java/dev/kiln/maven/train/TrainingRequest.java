package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.config.HeadSolver;
import dev.kiln.maven.config.LearningRateSchedule;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.PhotoSource;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.internal.Augmentation;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Everything one training run needs: the scanned photos, the loaded backbone and the typed
 * configuration itself (so a new setting reaches the engine without being copied here). The
 * accessors below are shorthands into {@link #settings()}. Validates what only the backbone can
 * tell (cut layers, fine-tune blocks).
 *
 * @param dataset scanned images
 * @param backbone pretrained backbone (its pooling and hidden units are the configuration's)
 * @param settings the configuration
 * @param photos where the photos' bytes are read from and the hash the fingerprint recorded of
 *     each (every read during training is held to it)
 */
public record TrainingRequest(Dataset dataset, Backbone backbone, TrainConfiguration settings,
    PhotoSource photos) {

  /** A request that reads the photos from disk, with no fingerprint to hold them to. */
  public TrainingRequest(Dataset dataset, Backbone backbone, TrainConfiguration settings) {
    this(dataset, backbone, settings, PhotoSource.FILES);
  }

  public TrainingRequest {
    Objects.requireNonNull(photos, "photos");
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(backbone, "backbone");
    Objects.requireNonNull(settings, "settings");
    String featureLayer = settings.backbone().featureLayer();
    Mode mode = settings.optimisation().mode();
    if (mode != Mode.FEATURE_EXTRACTOR) {
      check(featureLayer == null, "featureLayer cannot be combined with mode " + mode.id()
          + ": only feature-extractor cuts the backbone (fine-tune sets where the frozen part"
          + " ends with fineTuneBlocks)");
    }
    int blocks = settings.optimisation().fineTuneBlocks();
    if (mode == Mode.FINE_TUNE
        || mode == Mode.AUTO && backbone.architecture().trainableUnits() > 0) {
      check(blocks >= 1 && blocks <= backbone.architecture().trainableUnits(),
          "fineTuneBlocks must be between 1 and " + backbone.architecture().trainableUnits()
              + ", was " + blocks);
    }
    if (featureLayer != null && !backbone.architecture().featureLayers().contains(featureLayer)) {
      throw new IllegalArgumentException("featureLayer '" + featureLayer + "' is not a layer of "
          + backbone.architecture().id() + "; valid: " + backbone.architecture().featureLayers());
    }
    int depths = settings.backbone().featureDepths();
    check(backbone.featureDepths() == depths, "the backbone has featureDepths "
        + backbone.featureDepths() + ", the configuration " + depths);
    if (depths > 1) {
      check(mode == Mode.FEATURE_EXTRACTOR, "featureDepths " + depths + " works with mode"
          + " feature-extractor only (the other modes train the top blocks themselves)");
      backbone.architecture().depthsEndingAt(featureLayer == null
          ? backbone.architecture().lastFeatureLayer() : featureLayer, depths);
    }
    check(backbone.hiddenUnits() == settings.head().hiddenUnits(), "the backbone's head has "
        + backbone.hiddenUnits() + " hidden units, the configuration "
        + settings.head().hiddenUnits());
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** @return the spec of what the exported model takes: raw RGB, normalisation in the graph */
  public Preprocessing modelPreprocessing() {
    return Preprocessing.raw(backbone.inputSize(), resize());
  }

  /** @return the transfer mode */
  public Mode mode() {
    return settings.optimisation().mode();
  }

  /** @return the layer the head is put after, or null for the last one */
  public String featureLayer() {
    return settings.backbone().featureLayer();
  }

  /** @return how photos are fitted */
  public Preprocessing.Resize resize() {
    return settings.backbone().resize();
  }

  /** @return maximum epochs */
  public int epochs() {
    return settings.optimisation().epochs();
  }

  /** @return minibatch size */
  public int batchSize() {
    return settings.optimisation().batchSize();
  }

  /** @return Adam learning rate */
  public double learningRate() {
    return settings.optimisation().learningRate();
  }

  /** @return dropout before the head */
  public double dropout() {
    return settings.head().dropout();
  }

  /** @return weight decay */
  public double weightDecay() {
    return settings.optimisation().weightDecay();
  }

  /** @return early-stopping patience */
  public int patience() {
    return settings.optimisation().patience();
  }

  /** @return the seed */
  public long seed() {
    return settings.optimisation().seed();
  }

  /** @return fail on unreadable photos */
  public boolean failOnBadImages() {
    return settings.data().failOnBadImages();
  }

  /** @return where ONNX Runtime runs the frozen part */
  public Device device() {
    return settings.run().device();
  }

  /** @return label smoothing ε */
  public double labelSmoothing() {
    return settings.head().labelSmoothing();
  }

  /** @return weight the loss by inverse label frequency */
  public boolean balanceClasses() {
    return settings.head().balanceClasses();
  }

  /** @return the frozen-feature cache, or null */
  public Path cacheDir() {
    return settings.outputs().cacheDir();
  }

  /** @return the augmentation of the copies, or null without copies */
  public Augmentation augmentation() {
    return augmentedCopies() > 0 ? settings.optimisation().augmentation() : null;
  }

  /** @return augmented copies per photo */
  public int augmentedCopies() {
    return settings.optimisation().augmentedCopies();
  }

  /** @return the learning-rate schedule */
  public LearningRateSchedule schedule() {
    return settings.optimisation().schedule();
  }

  /** @return top blocks trained in fine-tune */
  public int fineTuneBlocks() {
    return settings.optimisation().fineTuneBlocks();
  }

  /** @return the head solver as configured */
  public HeadSolver headSolver() {
    return settings.head().solver();
  }

  /** @return folds of the head's cross-validation */
  public int estimateFolds() {
    return settings.gates().estimateFolds();
  }

  /**
   * For tests and benchmarks: a request on a dataset and backbone with the goal's defaults,
   * changed through {@link TrainConfiguration.Builder}'s setters.
   *
   * @param dataset scanned images
   * @param backbone the backbone (its pooling and hidden units are kept)
   * @return the builder
   */
  public static Builder builder(Dataset dataset, Backbone backbone) {
    return new Builder(dataset, backbone);
  }

  /** A {@link TrainConfiguration.Builder} plus the dataset and backbone. */
  public static final class Builder {
    private final Dataset dataset;
    private final Backbone backbone;
    private final TrainConfiguration.Builder settings;
    private PhotoSource photos = PhotoSource.FILES;

    private Builder(Dataset dataset, Backbone backbone) {
      this.dataset = dataset;
      this.backbone = backbone;
      this.settings = TrainConfiguration.builder().baseDir(Path.of(".").toAbsolutePath())
          .images(dataset.root()).className("kiln.Model").backbone(backbone.source())
          .inputSize(backbone.inputSize()).pooling(backbone.pooling())
          .hiddenUnits(backbone.hiddenUnits()).featureDepths(backbone.featureDepths());
    }

    /**
     * @param change changes to the settings, e.g. {@code s -> s.epochs(3).dropout(0)}
     * @return this
     */
    public Builder settings(java.util.function.Consumer<TrainConfiguration.Builder> change) {
      change.accept(settings);
      return this;
    }

    public Builder mode(Mode v) { settings.mode(v); return this; }
    public Builder featureLayer(String v) { settings.featureLayer(v); return this; }
    public Builder epochs(int v) { settings.epochs(v); return this; }
    public Builder batchSize(int v) { settings.batchSize(v); return this; }
    public Builder learningRate(double v) { settings.learningRate(v); return this; }
    public Builder dropout(double v) { settings.dropout(v); return this; }
    public Builder weightDecay(double v) { settings.weightDecay(v); return this; }
    public Builder patience(int v) { settings.patience(v); return this; }
    public Builder seed(long v) { settings.seed(v); return this; }
    public Builder device(Device v) { settings.device(v); return this; }
    public Builder cacheDir(Path v) { settings.cacheDir(v); return this; }
    public Builder augmentation(Augmentation v) { settings.augmentation(v); return this; }
    public Builder augmentedCopies(int v) { settings.augmentedCopies(v); return this; }
    public Builder schedule(LearningRateSchedule v) { settings.learningRateSchedule(v); return this; }
    public Builder headSolver(HeadSolver v) { settings.headSolver(v); return this; }
    public Builder photos(PhotoSource v) { photos = v; return this; }

    /**
     * @return the validated request
     * @throws IllegalArgumentException naming the invalid setting
     */
    public TrainingRequest build() {
      return new TrainingRequest(dataset, backbone, settings.build(), photos);
    }
  }
}
