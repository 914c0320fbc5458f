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
 */
public record TrainingRequest(Dataset dataset, Backbone backbone, Mode mode, String featureLayer,
    Preprocessing.Resize resize, int epochs, int batchSize, double learningRate, double dropout,
    double weightDecay, int patience, long seed, boolean failOnBadImages, Device device,
    double labelSmoothing, boolean balanceClasses, java.nio.file.Path cacheDir,
    dev.kiln.runtime.image.Augmentation augmentation, int augmentedCopies,
    LearningRateSchedule schedule, int fineTuneBlocks) {

  public TrainingRequest {
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(backbone, "backbone");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(resize, "resize");
    Objects.requireNonNull(device, "device");
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
