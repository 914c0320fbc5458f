package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.PhotoSource;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.file.Path;
import java.util.List;
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
 * @param alternatives more backbones for {@code auto} to try ({@code backbones}), resolved
 */
public record TrainingRequest(Dataset dataset, Backbone backbone, TrainConfiguration settings,
    PhotoSource photos, List<Backbone> alternatives) {

  /** A request that reads the photos from disk, with no fingerprint to hold them to. */
  public TrainingRequest(Dataset dataset, Backbone backbone, TrainConfiguration settings) {
    this(dataset, backbone, settings, PhotoSource.FILES);
  }

  /** A request with no other backbones for auto to try. */
  public TrainingRequest(Dataset dataset, Backbone backbone, TrainConfiguration settings,
      PhotoSource photos) {
    this(dataset, backbone, settings, photos, List.of());
  }

  public TrainingRequest {
    Objects.requireNonNull(photos, "photos");
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(backbone, "backbone");
    Objects.requireNonNull(settings, "settings");
    alternatives = alternatives == null ? List.of() : List.copyOf(alternatives);
    ModeSelector.check(backbone, settings, alternatives);
    String featureLayer = settings.backbone().featureLayer();
    if (featureLayer != null && !backbone.architecture().featureLayers().contains(featureLayer)) {
      throw new IllegalArgumentException("featureLayer '" + featureLayer + "' is not a layer of "
          + backbone.architecture().id() + "; valid: " + backbone.architecture().featureLayers());
    }
    int depths = settings.backbone().featureDepths();
    check(backbone.featureDepths() == depths, "the backbone has featureDepths "
        + backbone.featureDepths() + ", the configuration " + depths);
    if (depths > 1) {
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
    return Preprocessing.raw(backbone.inputSize(), settings.backbone().resize());
  }

  /** @return the layer the head is put after, or null for the last one */
  public String featureLayer() {
    return settings.backbone().featureLayer();
  }

  /** @return the seed */
  public long seed() {
    return settings.optimisation().seed();
  }

  /** @return where ONNX Runtime runs the frozen part */
  public Device device() {
    return settings.run().device();
  }

  /** @return the frozen-feature cache, or null */
  public Path cacheDir() {
    return settings.outputs().cacheDir();
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
    private List<Backbone> alternatives = List.of();

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

    public Builder photos(PhotoSource v) { photos = v; return this; }

    /** @param v more backbones for auto to try, as {@code backbones} would resolve them */
    public Builder alternatives(List<Backbone> v) {
      alternatives = v;
      return this;
    }

    /**
     * @return the validated request
     * @throws IllegalArgumentException naming the invalid setting
     */
    public TrainingRequest build() {
      return new TrainingRequest(dataset, backbone, settings.build(), photos, alternatives);
    }
  }
}
