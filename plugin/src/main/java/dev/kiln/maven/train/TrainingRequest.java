package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.image.Preprocessing;
import java.util.Objects;

/**
 * Everything one training run needs. Immutable, validated.
 *
 * @param dataset scanned images
 * @param backbone pretrained backbone
 * @param mode how the backbone is used
 * @param featureLayer backbone layer to cut after (null: the last feature layer)
 * @param resize how images are fitted to the input size
 * @param epochs maximum epochs (≥ 1)
 * @param batchSize minibatch size (≥ 1)
 * @param learningRate Adam learning rate (> 0)
 * @param dropout dropout before the head, 0 ≤ x &lt; 1
 * @param weightDecay weight decay (≥ 0)
 * @param patience early-stopping patience in epochs (≥ 1)
 * @param seed seed of everything random
 * @param failOnBadImages fail instead of skipping undecodable images
 * @param device where ONNX Runtime runs the frozen part
 * @param labelSmoothing label smoothing ε in [0, 0.5)
 * @param balanceClasses weight the loss so every label counts equally
 * @param cacheDir frozen-feature cache folder, or null for none
 * @param augmentation training-image augmentation (null: none)
 * @param augmentedCopies augmented copies of each training image added to the plain one
 * @param schedule learning-rate schedule (null: constant)
 * @param fineTuneBlocks top backbone blocks trained in {@link Mode#FINE_TUNE}
 * @param headSolver how the head is trained
 * @param estimateFolds folds of the cross-validation that chooses the L-BFGS head's strength and
 *     estimates its accuracy (2–20)
 */
public record TrainingRequest(Dataset dataset, Backbone backbone, Mode mode, String featureLayer,
    Preprocessing.Resize resize, int epochs, int batchSize, double learningRate, double dropout,
    double weightDecay, int patience, long seed, boolean failOnBadImages, Device device,
    double labelSmoothing, boolean balanceClasses, java.nio.file.Path cacheDir,
    dev.kiln.runtime.internal.Augmentation augmentation, int augmentedCopies,
    LearningRateSchedule schedule, int fineTuneBlocks, HeadSolver headSolver,
    int estimateFolds) {

  public TrainingRequest {
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(backbone, "backbone");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(resize, "resize");
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(headSolver, "headSolver");
    check(estimateFolds >= 2 && estimateFolds <= 20,
        "estimateFolds must be between 2 and 20, was " + estimateFolds);
    check(headSolver != HeadSolver.LBFGS || backbone.hiddenUnits() == 0,
        "headSolver lbfgs fits a single softmax layer; with hiddenUnits " + backbone.hiddenUnits()
            + " use headSolver adam (or auto)");
    check(epochs >= 1, "epochs must be >= 1, was " + epochs);
    check(batchSize >= 1, "batchSize must be >= 1, was " + batchSize);
    check(learningRate > 0 && learningRate < 10, "learningRate must be in (0, 10), was " + learningRate);
    check(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), was " + dropout);
    check(weightDecay >= 0, "weightDecay must be >= 0, was " + weightDecay);
    check(patience >= 1, "patience must be >= 1, was " + patience);
    check(augmentedCopies >= 0 && augmentedCopies <= 32,
        "augmentedCopies must be in [0, 32], was " + augmentedCopies);
    check(augmentedCopies == 0 || augmentation != null,
        "augmentedCopies > 0 needs an augmentation");
    check(labelSmoothing >= 0 && labelSmoothing < 0.5,
        "labelSmoothing must be in [0, 0.5), was " + labelSmoothing);
    if (mode != Mode.FEATURE_EXTRACTOR) {
      check(featureLayer == null, "featureLayer cannot be combined with mode " + mode.id()
          + ": only feature-extractor cuts the backbone (fine-tune sets where the frozen part"
          + " ends with fineTuneBlocks)");
    }
    if (mode == Mode.FINE_TUNE || mode == Mode.AUTO) {
      check(fineTuneBlocks >= 1 && fineTuneBlocks <= backbone.architecture().trainableUnits(),
          "fineTuneBlocks must be between 1 and " + backbone.architecture().trainableUnits()
              + ", was " + fineTuneBlocks);
    }
    if (featureLayer != null && !backbone.architecture().featureLayers().contains(featureLayer)) {
      throw new IllegalArgumentException("featureLayer '" + featureLayer + "' is not a layer of "
          + backbone.architecture().id() + "; valid: " + backbone.architecture().featureLayers());
    }
  }

  /**
   * @param dataset scanned images
   * @param backbone pretrained backbone
   * @return a builder with the goal's defaults (feature-extractor, centre crop, 50 epochs, batch
   *     16, Adam 1e-3, dropout 0.2, weight decay 1e-4, patience 10, seed 42, balanced classes,
   *     no cache, no augmentation, 2 fine-tune blocks, head solver auto, 5 estimate folds)
   */
  public static Builder builder(Dataset dataset, Backbone backbone) {
    return new Builder(dataset, backbone);
  }

  /** @return a builder holding this request's values */
  public Builder toBuilder() {
    return new Builder(dataset, backbone).mode(mode).featureLayer(featureLayer).resize(resize)
        .epochs(epochs).batchSize(batchSize).learningRate(learningRate).dropout(dropout)
        .weightDecay(weightDecay).patience(patience).seed(seed).failOnBadImages(failOnBadImages)
        .device(device).labelSmoothing(labelSmoothing).balanceClasses(balanceClasses)
        .cacheDir(cacheDir).augmentation(augmentation).augmentedCopies(augmentedCopies)
        .schedule(schedule).fineTuneBlocks(fineTuneBlocks).headSolver(headSolver)
        .estimateFolds(estimateFolds);
  }

  /** Named setters for a {@link TrainingRequest}; {@link #build()} validates. */
  public static final class Builder {
    private Dataset dataset;
    private Backbone backbone;
    private Mode mode = Mode.FEATURE_EXTRACTOR;
    private String featureLayer;
    private Preprocessing.Resize resize = Preprocessing.Resize.CENTER_CROP;
    private int epochs = 50;
    private int batchSize = 16;
    private double learningRate = 1e-3;
    private double dropout = 0.2;
    private double weightDecay = 1e-4;
    private int patience = 10;
    private long seed = 42;
    private boolean failOnBadImages;
    private Device device = Device.AUTO;
    private double labelSmoothing;
    private boolean balanceClasses = true;
    private java.nio.file.Path cacheDir;
    private dev.kiln.runtime.internal.Augmentation augmentation;
    private int augmentedCopies;
    private LearningRateSchedule schedule = LearningRateSchedule.CONSTANT;
    private int fineTuneBlocks = 2;
    private HeadSolver headSolver = HeadSolver.AUTO;
    private int estimateFolds = 5;

    private Builder(Dataset dataset, Backbone backbone) {
      this.dataset = dataset;
      this.backbone = backbone;
    }

    public Builder dataset(Dataset v) { dataset = v; return this; }
    public Builder backbone(Backbone v) { backbone = v; return this; }
    public Builder mode(Mode v) { mode = v; return this; }
    public Builder featureLayer(String v) { featureLayer = v; return this; }
    public Builder resize(Preprocessing.Resize v) { resize = v; return this; }
    public Builder epochs(int v) { epochs = v; return this; }
    public Builder batchSize(int v) { batchSize = v; return this; }
    public Builder learningRate(double v) { learningRate = v; return this; }
    public Builder dropout(double v) { dropout = v; return this; }
    public Builder weightDecay(double v) { weightDecay = v; return this; }
    public Builder patience(int v) { patience = v; return this; }
    public Builder seed(long v) { seed = v; return this; }
    public Builder failOnBadImages(boolean v) { failOnBadImages = v; return this; }
    public Builder device(Device v) { device = v; return this; }
    public Builder labelSmoothing(double v) { labelSmoothing = v; return this; }
    public Builder balanceClasses(boolean v) { balanceClasses = v; return this; }
    public Builder cacheDir(java.nio.file.Path v) { cacheDir = v; return this; }
    public Builder augmentation(dev.kiln.runtime.internal.Augmentation v) { augmentation = v; return this; }
    public Builder augmentedCopies(int v) { augmentedCopies = v; return this; }
    public Builder schedule(LearningRateSchedule v) { schedule = v; return this; }
    public Builder fineTuneBlocks(int v) { fineTuneBlocks = v; return this; }
    public Builder headSolver(HeadSolver v) { headSolver = v; return this; }
    public Builder estimateFolds(int v) { estimateFolds = v; return this; }

    /**
     * @return the validated request
     * @throws IllegalArgumentException naming the invalid setting
     */
    public TrainingRequest build() {
      return new TrainingRequest(dataset, backbone, mode, featureLayer, resize, epochs, batchSize,
          learningRate, dropout, weightDecay, patience, seed, failOnBadImages, device,
          labelSmoothing, balanceClasses, cacheDir, augmentation, augmentedCopies, schedule,
          fineTuneBlocks, headSolver, estimateFolds);
    }
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** @return the spec of what the exported model takes: raw RGB, normalisation in the graph */
  public Preprocessing modelPreprocessing() {
    return Preprocessing.raw(backbone.inputSize(), resize);
  }
}
