package dev.kiln.maven.config;

import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.backbone.BackboneSource;
import dev.kiln.maven.codegen.LabelNames;
import dev.kiln.maven.config.HeadSolver;
import dev.kiln.maven.config.LearningRateSchedule;
import dev.kiln.maven.config.Mode;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.internal.Augmentation;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.deeplearning4j.nn.conf.layers.PoolingType;

/**
 * Everything the {@code train} goal is configured with, typed and validated, grouped per concern
 * the way Jib groups {@code <from>}/{@code <to>}. Build it with {@link #builder()}; each setter is
 * named after its Mojo parameter and {@code kiln.*} property, and fails with an {@link
 * InvalidSettingException} naming that setting.
 *
 * @param data which photos and how they are split
 * @param backbone the pretrained network and how photos are fed to it
 * @param head the new classification head
 * @param optimisation how the network is trained
 * @param gates checks a new model must pass, and the accuracy estimate
 * @param export the shipped model's number format
 * @param outputs what is written where
 * @param run facts of this build (project folder, device, force, plugin version)
 */
public record TrainConfiguration(Data data, Backbone backbone, Head head,
    Optimisation optimisation, Gates gates, Export export, Outputs outputs, Run run) {

  public TrainConfiguration {
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(backbone, "backbone");
    Objects.requireNonNull(head, "head");
    Objects.requireNonNull(optimisation, "optimisation");
    Objects.requireNonNull(gates, "gates");
    Objects.requireNonNull(export, "export");
    Objects.requireNonNull(outputs, "outputs");
    Objects.requireNonNull(run, "run");
  }

  /**
   * @param images the labelled photos' folder
   * @param includes include patterns (empty: common image types)
   * @param excludes exclude patterns
   * @param validationSplit held-out fraction per label without train/ and val/ folders
   * @param failOnBadImages fail on an unreadable photo instead of skipping it
   * @param followLinks follow symbolic links in the photo folders (each real folder once)
   */
  public record Data(
      @NotModelInput("photos are fingerprinted by content") Path images,
      @NotModelInput("the photo list they select is fingerprinted") List<String> includes,
      @NotModelInput("the photo list they select is fingerprinted") List<String> excludes,
      @NotModelInput("the split it makes is fingerprinted (train:/val: photo lists)")
      double validationSplit,
      @ModelInput boolean failOnBadImages,
      @NotModelInput("the photo list it selects is fingerprinted") boolean followLinks) {
    public Data {
      Objects.requireNonNull(images, "images");
      includes = includes == null ? List.of() : List.copyOf(includes);
      excludes = excludes == null ? List.of() : List.copyOf(excludes);
      InvalidSettingException.check(validationSplit > 0 && validationSplit < 1,
          "validationSplit", "must be between 0 and 1 (e.g. 0.2), was " + validationSplit);
    }
  }

  /**
   * @param source the backbone: a catalogue name, an https URL or a local weights file
   * @param download SHA-256, cache, mirror and offline flag for names and URLs
   * @param family the family of a local file Kiln does not recognise ({@code id[:variant]}),
   *     or null to recognise it from its layer names
   * @param preprocessing how an ONNX backbone expects its input (the model contract's spec), or
   *     null
   * @param inputSize input width and height in pixels; 0: the size the backbone was trained at
   * @param featureLayer backbone layer the head is put after, or null for the last one
   * @param featureDepths block outputs, ending at the cut, whose pooled features are
   *     concatenated (1: the cut's alone)
   * @param pooling global pooling before the head
   * @param resize how photos are fitted to the input
   */
  public record Backbone(
      @NotModelInput("the weights file is fingerprinted by content") BackboneSource source,
      @NotModelInput("where the file comes from; its content is fingerprinted")
      BackboneResolver.Source download,
      @ModelInput String family,
      @ModelInput String preprocessing,
      @ModelInput int inputSize,
      @ModelInput String featureLayer,
      @ModelInput int featureDepths,
      @ModelInput PoolingType pooling,
      @ModelInput Preprocessing.Resize resize,
      @NotModelInput("each one's weights file is fingerprinted by content, in order")
      List<BackboneSource> alternatives) {
    public Backbone {
      alternatives = alternatives == null ? List.of() : List.copyOf(alternatives);
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(download, "download");
      Objects.requireNonNull(pooling, "pooling");
      Objects.requireNonNull(resize, "resize");
      featureLayer = featureLayer == null || featureLayer.isBlank() ? null : featureLayer.trim();
      family = family == null || family.isBlank() ? null : family.trim();
      preprocessing = preprocessing == null || preprocessing.isBlank() ? null
          : preprocessing.trim();
      InvalidSettingException.check(inputSize == 0 || inputSize >= 32 && inputSize <= 512,
          "inputSize", "must be between 32 and 512 (0: the backbone's own), was " + inputSize);
      InvalidSettingException.check(featureDepths >= 1 && featureDepths <= 4, "featureDepths",
          "must be between 1 and 4 (1: the cut layer's features alone), was " + featureDepths);
    }
  }

  /**
   * @param solver how the head is trained
   * @param hiddenUnits units of a ReLU dense layer before the softmax (0: none)
   * @param dropout dropout before the head (Adam heads)
   * @param labelSmoothing label smoothing ε (Adam heads)
   * @param balanceClasses weight the loss by inverse label frequency when labels are imbalanced
   * @param testTimeFlip the exported model classifies each photo and its mirror image and
   *     averages the two
   */
  public record Head(
      @ModelInput HeadSolver solver,
      @ModelInput int hiddenUnits,
      @ModelInput double dropout,
      @ModelInput double labelSmoothing,
      @ModelInput boolean balanceClasses,
      @ModelInput boolean testTimeFlip) {
    public Head {
      Objects.requireNonNull(solver, "solver");
      InvalidSettingException.check(hiddenUnits >= 0 && hiddenUnits <= 4096, "hiddenUnits",
          "must be between 0 and 4096, was " + hiddenUnits);
      InvalidSettingException.check(dropout >= 0 && dropout < 1, "dropout",
          "must be in [0, 1), was " + dropout);
      InvalidSettingException.check(labelSmoothing >= 0 && labelSmoothing < 0.5, "labelSmoothing",
          "must be in [0, 0.5), was " + labelSmoothing);
      InvalidSettingException.check(solver != HeadSolver.LBFGS || hiddenUnits == 0, "headSolver",
          "lbfgs fits a single softmax layer; with hiddenUnits " + hiddenUnits
              + " use adam (or auto); valid: auto, lbfgs, adam");
    }
  }

  /**
   * @param mode transfer mode
   * @param fineTuneBlocks top blocks trained in mode fine-tune
   * @param epochs maximum epochs
   * @param batchSize minibatch size
   * @param learningRate Adam learning rate
   * @param schedule learning-rate schedule
   * @param weightDecay weight decay
   * @param patience early-stopping patience in epochs
   * @param augmentedCopies augmented copies per training photo
   * @param augmentation the copies' augmentation
   * @param seed seed of everything random
   * @param maxTrainingTime how long {@code auto}'s search may try candidates (the first one
   *     always runs)
   */
  public record Optimisation(
      @ModelInput Mode mode,
      @ModelInput int fineTuneBlocks,
      @ModelInput int epochs,
      @ModelInput int batchSize,
      @ModelInput double learningRate,
      @ModelInput LearningRateSchedule schedule,
      @ModelInput double weightDecay,
      @ModelInput int patience,
      @ModelInput int augmentedCopies,
      @ModelInput Augmentation augmentation,
      @ModelInput long seed,
      @ModelInput java.time.Duration maxTrainingTime) {
    public Optimisation {
      Objects.requireNonNull(mode, "mode");
      Objects.requireNonNull(schedule, "schedule");
      Objects.requireNonNull(augmentation, "augmentation");
      InvalidSettingException.check(epochs >= 1, "epochs", "must be at least 1, was " + epochs);
      InvalidSettingException.check(batchSize >= 1, "batchSize",
          "must be at least 1, was " + batchSize);
      InvalidSettingException.check(learningRate > 0 && learningRate < 10, "learningRate",
          "must be in (0, 10), e.g. 0.001, was " + learningRate);
      InvalidSettingException.check(weightDecay >= 0, "weightDecay",
          "must be at least 0, was " + weightDecay);
      InvalidSettingException.check(patience >= 1, "patience",
          "must be at least 1, was " + patience);
      Objects.requireNonNull(maxTrainingTime, "maxTrainingTime");
      InvalidSettingException.check(!maxTrainingTime.isNegative() && !maxTrainingTime.isZero(),
          "maxTrainingTime", "must be positive, e.g. 3m, 90s or 1h, was " + maxTrainingTime);
      InvalidSettingException.check(augmentedCopies >= 0 && augmentedCopies <= 32,
          "augmentedCopies", "must be between 0 and 32, was " + augmentedCopies);
    }
  }

  /**
   * @param minAccuracy the estimate's accuracy must reach this (0–1)
   * @param maxAccuracyDrop how much worse than the replaced model the new one may be (0–1), or
   *     null for no comparison
   * @param estimateFolds folds of the cross-validation behind the L-BFGS head and the estimate
   */
  public record Gates(
      @NotModelInput("a gate checks the model; it does not change it") double minAccuracy,
      @NotModelInput("a gate checks the model; it does not change it") Double maxAccuracyDrop,
      @ModelInput int estimateFolds) {
    public Gates {
      InvalidSettingException.check(minAccuracy >= 0 && minAccuracy <= 1, "minAccuracy",
          "must be between 0 and 1 (e.g. 0.9), was " + minAccuracy);
      InvalidSettingException.check(maxAccuracyDrop == null
          || maxAccuracyDrop >= 0 && maxAccuracyDrop <= 1, "maxAccuracyDrop",
          "must be between 0 and 1 (e.g. 0.02), was " + maxAccuracyDrop);
      // the nested estimate fits inner heads without two folds: 2 would leave them no rows
      InvalidSettingException.check(estimateFolds >= 3 && estimateFolds <= 20, "estimateFolds",
          "must be between 3 and 20 (5 is the default), was " + estimateFolds);
    }
  }

  /**
   * @param quantize the shipped model's number format
   * @param maxQuantizationDrop how much less accurate (0–1) an int8 model may be than the float
   *     one on the validation photos before the build refuses it
   */
  public record Export(
      @ModelInput Quantization quantize,
      @NotModelInput("a gate checks the model; it does not change it")
      double maxQuantizationDrop) {
    public Export {
      Objects.requireNonNull(quantize, "quantize");
      InvalidSettingException.check(maxQuantizationDrop >= 0 && maxQuantizationDrop <= 1,
          "maxQuantizationDrop", "must be between 0 and 1 (e.g. 0.01), was "
              + maxQuantizationDrop);
    }
  }

  /**
   * @param className the generated class; the model is {@code <package path>/<Name>.onnx}
   * @param classesDir where the model resource goes ({@code target/classes})
   * @param workDir Kiln's own folder ({@code target/kiln})
   * @param cacheDir frozen-feature cache, or null for none
   * @param cacheMaxBytes the feature cache's size limit in bytes (0: none)
   * @param generatedSources where {@code generate} put the class (javadoc refreshed)
   * @param suspects list the photos whose label is probably wrong (confident learning on the
   *     estimate's predictions) in the log, {@code metrics.json} and the report
   */
  public record Outputs(
      @ModelInput String className,
      @NotModelInput("where outputs go") Path classesDir,
      @NotModelInput("where outputs go") Path workDir,
      @NotModelInput("a cache: same features with or without it") Path cacheDir,
      @NotModelInput("a cache's size: same features with or without it") long cacheMaxBytes,
      @NotModelInput("where outputs go") Path generatedSources,
      @NotModelInput("reads the estimate's predictions; training is the same") boolean suspects) {
    public Outputs {
      String problem = className == null || className.isBlank()
          ? "set it to the fully qualified name of the classifier class to generate, e.g."
              + " com.acme.pets.PetClassifier"
          : LabelNames.checkClassName(className);
      InvalidSettingException.check(problem == null, "className", String.valueOf(problem));
      Objects.requireNonNull(classesDir, "classesDir");
      Objects.requireNonNull(workDir, "workDir");
      InvalidSettingException.check(cacheMaxBytes >= 0, "cacheMaxSize",
          "must be 0 (no limit) or more, was " + cacheMaxBytes);
    }
  }

  /**
   * @param baseDir the project folder (relative paths resolve against it)
   * @param device where ONNX Runtime runs the frozen part
   * @param force retrain even when up to date
   * @param pluginVersion this plugin's version
   * @param outputTimestamp the model's training date ({@code project.build.outputTimestamp}),
   *     or null to leave the date out (same inputs, same model bytes)
   */
  public record Run(
      @NotModelInput("the project folder; files are fingerprinted by content") Path baseDir,
      @NotModelInput("ONNX Runtime gives the same features on every device (within 1e-4)")
      Device device,
      @NotModelInput("decides whether to train, not what") boolean force,
      @ModelInput String pluginVersion,
      @NotModelInput("a date in the metadata; what the model computes does not change")
      java.time.Instant outputTimestamp) {
    public Run {
      Objects.requireNonNull(baseDir, "baseDir");
      Objects.requireNonNull(device, "device");
    }
  }

  /** @return a builder holding the goal's defaults */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Named setters, one per Mojo parameter, with the Mojo's defaults. String settings are parsed
   * here; bad values fail at once naming the setting.
   */
  public static final class Builder {
    private Path baseDir = Path.of(".");
    private Path images;
    private List<String> includes = List.of();
    private List<String> excludes = List.of();
    private double validationSplit = 0.2;
    private boolean failOnBadImages;
    private boolean followLinks = true;
    private String backbone;
    private String backbones;
    private String backboneSha256;
    private Path backboneCache = Path.of(System.getProperty("user.home"), ".kiln", "backbones");
    private String backboneMirror;
    private boolean backboneMirrorTrusted;
    private boolean offline;
    private dev.kiln.maven.backbone.ArtifactResolver artifacts;
    private String backboneFamily;
    private String preprocessing;
    private int inputSize;
    private String featureLayer;
    private int featureDepths = 1;
    private PoolingType pooling = PoolingType.AVG;
    private Preprocessing.Resize resize = Preprocessing.Resize.CENTER_CROP;
    private HeadSolver headSolver = HeadSolver.AUTO;
    private int hiddenUnits;
    private double dropout = 0.2;
    private double labelSmoothing;
    private boolean balanceClasses = true;
    private boolean testTimeFlip;
    private Mode mode = Mode.AUTO;
    private int fineTuneBlocks = 2;
    private int epochs = 50;
    private int batchSize = 16;
    private double learningRate = 0.001;
    private LearningRateSchedule learningRateSchedule = LearningRateSchedule.CONSTANT;
    private double weightDecay = 0.0001;
    private int patience = 10;
    private int augmentedCopies;
    private Augmentation augmentation = Augmentation.defaults();
    private long seed = 42;
    private java.time.Duration maxTrainingTime = java.time.Duration.ofMinutes(3);
    private double minAccuracy;
    private Double maxAccuracyDrop;
    private int estimateFolds = 5;
    private Quantization quantize = Quantization.NONE;
    private double maxQuantizationDrop = 0.01;
    private String className;
    private Path classesDir;
    private Path workDir;
    private Path cacheDir;
    private long cacheMaxBytes = 2L << 30;
    private Path generatedSources;
    private boolean suspects = true;
    private Device device = Device.AUTO;
    private boolean force;
    private String pluginVersion = "dev";
    private java.time.Instant outputTimestamp;

    private Builder() {}

    /** @param v the project folder */
    public Builder baseDir(Path v) {
      baseDir = v;
      return this;
    }

    /** @param v the labelled photos' folder */
    public Builder images(Path v) {
      images = v;
      return this;
    }

    /** @param v include patterns, or null for the defaults */
    public Builder includes(List<String> v) {
      includes = v;
      return this;
    }

    /** @param v exclude patterns, or null for none */
    public Builder excludes(List<String> v) {
      excludes = v;
      return this;
    }

    /** @param v held-out fraction per label */
    public Builder validationSplit(double v) {
      validationSplit = v;
      return this;
    }

    /** @param v fail on unreadable photos */
    public Builder failOnBadImages(boolean v) {
      failOnBadImages = v;
      return this;
    }

    /** @param v follow symbolic links in the photo folders */
    public Builder followLinks(boolean v) {
      followLinks = v;
      return this;
    }

    /** @param v catalogue name, https URL or local weights file */
    public Builder backbone(String v) {
      backbone = v;
      return this;
    }

    /**
     * @param v more backbones for {@code auto} to try, comma-separated catalogue names, URLs or
     *     files (null or blank: none)
     */
    public Builder backbones(String v) {
      backbones = v;
      return this;
    }

    /** @param v SHA-256 of the backbone file, or null */
    public Builder backboneSha256(String v) {
      backboneSha256 = v;
      return this;
    }

    /** @param v the download cache */
    public Builder backboneCache(Path v) {
      backboneCache = v;
      return this;
    }

    /** @param v a mirror folder or base URL, or null */
    public Builder backboneMirror(String v) {
      backboneMirror = v;
      return this;
    }

    /** @param v true to verify mirror files against the mirror's own SHA256SUMS */
    public Builder backboneMirrorTrusted(boolean v) {
      backboneMirrorTrusted = v;
      return this;
    }

    /** @param v resolves Maven coordinates given as the backbone (null: refused) */
    public Builder artifacts(dev.kiln.maven.backbone.ArtifactResolver v) {
      artifacts = v;
      return this;
    }

    /** @param v true when Maven runs offline */
    public Builder offline(boolean v) {
      offline = v;
      return this;
    }

    /** @param v the family of a local weights file ({@code id[:variant]}), or null */
    public Builder backboneFamily(String v) {
      backboneFamily = v == null || v.isBlank() ? null : InvalidSettingException.parse(
          "backboneFamily", () -> BackboneResolver.family(v));
      return this;
    }

    /**
     * @param v how an ONNX backbone expects its input, e.g.
     *     {@code size=224x224;mean=127.5,127.5,127.5;std=127.5,127.5,127.5}; null for none
     */
    public Builder preprocessing(String v) {
      if (v != null && !v.isBlank()) {
        InvalidSettingException.parse("preprocessing",
            () -> dev.kiln.runtime.image.Preprocessing.parse(v,
                dev.kiln.runtime.image.Preprocessing.Resize.CENTER_CROP));
      }
      preprocessing = v;
      return this;
    }

    /** @param v input width and height */
    public Builder inputSize(int v) {
      inputSize = v;
      return this;
    }

    /** @param v cut layer, or null/blank for the last one */
    public Builder featureLayer(String v) {
      featureLayer = v;
      return this;
    }

    /** @param v {@code avg} or {@code max} */
    public Builder pooling(String v) {
      pooling = InvalidSettingException.parse("pooling", () -> switch (
          v == null ? "avg" : v.trim().toLowerCase(Locale.ROOT)) {
            case "avg", "average" -> PoolingType.AVG;
            case "max" -> PoolingType.MAX;
            default -> throw new IllegalArgumentException("unknown pooling '" + v
                + "'; valid: avg, max");
          });
      return this;
    }

    /** @param v block outputs whose pooled features are concatenated */
    public Builder featureDepths(int v) {
      featureDepths = v;
      return this;
    }

    /** @param v the pooling, typed */
    public Builder pooling(PoolingType v) {
      pooling = v;
      return this;
    }

    /** @param v the resize policy, typed */
    public Builder resize(Preprocessing.Resize v) {
      resize = v;
      return this;
    }

    /** @param v the head solver, typed */
    public Builder headSolver(HeadSolver v) {
      headSolver = v;
      return this;
    }

    /** @param v the mode, typed */
    public Builder mode(Mode v) {
      mode = v;
      return this;
    }

    /** @param v the schedule, typed */
    public Builder learningRateSchedule(LearningRateSchedule v) {
      learningRateSchedule = v;
      return this;
    }

    /** @param v the augmentation, typed (null: the defaults) */
    public Builder augmentation(Augmentation v) {
      augmentation = v == null ? Augmentation.defaults() : v;
      return this;
    }

    /** @param v the device, typed */
    public Builder device(Device v) {
      device = v;
      return this;
    }

    /** @param v {@code center-crop} or {@code stretch} */
    public Builder resize(String v) {
      resize = InvalidSettingException.parse("resize", () -> {
        for (Preprocessing.Resize r : Preprocessing.Resize.values()) {
          if (r.name().replace('_', '-').equalsIgnoreCase(String.valueOf(v).trim())
              || r.name().equalsIgnoreCase(String.valueOf(v).trim())) {
            return r;
          }
        }
        throw new IllegalArgumentException("unknown resize '" + v
            + "'; valid: center-crop, stretch");
      });
      return this;
    }

    /** @param v {@code auto}, {@code lbfgs} or {@code adam} */
    public Builder headSolver(String v) {
      headSolver = InvalidSettingException.parse("headSolver", () -> HeadSolver.parse(v));
      return this;
    }

    /** @param v hidden units (0: none) */
    public Builder hiddenUnits(int v) {
      hiddenUnits = v;
      return this;
    }

    /** @param v dropout rate */
    public Builder dropout(double v) {
      dropout = v;
      return this;
    }

    /** @param v label smoothing ε */
    public Builder labelSmoothing(double v) {
      labelSmoothing = v;
      return this;
    }

    /** @param v balance imbalanced labels */
    public Builder balanceClasses(boolean v) {
      balanceClasses = v;
      return this;
    }

    /** @param v average each photo's prediction with its mirror image's (in the model) */
    public Builder testTimeFlip(boolean v) {
      testTimeFlip = v;
      return this;
    }

    /** @param v the transfer mode id */
    public Builder mode(String v) {
      mode = InvalidSettingException.parse("mode", () -> Mode.parse(v));
      return this;
    }

    /** @param v top blocks trained in fine-tune */
    public Builder fineTuneBlocks(int v) {
      fineTuneBlocks = v;
      return this;
    }

    /** @param v maximum epochs */
    public Builder epochs(int v) {
      epochs = v;
      return this;
    }

    /** @param v minibatch size */
    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    /** @param v learning rate */
    public Builder learningRate(double v) {
      learningRate = v;
      return this;
    }

    /** @param v schedule id */
    public Builder learningRateSchedule(String v) {
      learningRateSchedule = InvalidSettingException.parse("learningRateSchedule",
          () -> LearningRateSchedule.parse(v));
      return this;
    }

    /** @param v weight decay */
    public Builder weightDecay(double v) {
      weightDecay = v;
      return this;
    }

    /** @param v early-stopping patience */
    public Builder patience(int v) {
      patience = v;
      return this;
    }

    /** @param v augmented copies per photo */
    public Builder augmentedCopies(int v) {
      augmentedCopies = v;
      return this;
    }

    /** @param v {@code key=value;...}, or null for the defaults */
    public Builder augmentation(String v) {
      augmentation = InvalidSettingException.parse("augmentation", () -> Augmentation.parse(v));
      return this;
    }

    /** @param v the seed */
    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /** @param v how long auto's search may try candidates, e.g. {@code 3m}, {@code 90s} */
    public Builder maxTrainingTime(String v) {
      maxTrainingTime = InvalidSettingException.parse("maxTrainingTime", () -> duration(v));
      return this;
    }

    /** @param v the estimate's minimum accuracy */
    public Builder minAccuracy(double v) {
      minAccuracy = v;
      return this;
    }

    /** @param v the largest accepted drop, or null for no comparison */
    public Builder maxAccuracyDrop(Double v) {
      maxAccuracyDrop = v;
      return this;
    }

    /** @param v cross-validation folds */
    public Builder estimateFolds(int v) {
      estimateFolds = v;
      return this;
    }

    /** @param v {@code none}, {@code int8} or {@code fp16} */
    public Builder quantize(String v) {
      quantize = InvalidSettingException.parse("quantize", () -> Quantization.parse(v));
      return this;
    }

    /** @param v the largest accepted accuracy loss of an int8 model (0–1) */
    public Builder maxQuantizationDrop(double v) {
      maxQuantizationDrop = v;
      return this;
    }

    /** @param v the generated class */
    public Builder className(String v) {
      className = v;
      return this;
    }

    /** @param v {@code target/classes} */
    public Builder classesDir(Path v) {
      classesDir = v;
      return this;
    }

    /** @param v {@code target/kiln} */
    public Builder workDir(Path v) {
      workDir = v;
      return this;
    }

    /** @param v the feature cache, or null for none */
    public Builder cacheDir(Path v) {
      cacheDir = v;
      return this;
    }

    /** @param v the feature cache's size limit, e.g. {@code 2GB}; {@code 0} for none */
    public Builder cacheMaxSize(String v) {
      cacheMaxBytes = InvalidSettingException.parse("cacheMaxSize", () -> ByteSize.parse(v));
      return this;
    }

    /** @param v generated sources root */
    public Builder generatedSources(Path v) {
      generatedSources = v;
      return this;
    }

    /** @param v list the photos whose label is probably wrong (never changes training) */
    public Builder suspects(boolean v) {
      suspects = v;
      return this;
    }

    /** @param v {@code AUTO}, {@code CPU} or {@code CUDA} */
    public Builder device(String v) {
      device = InvalidSettingException.parse("device", () -> Settings.device(v));
      return this;
    }

    /** @param v retrain even when up to date */
    public Builder force(boolean v) {
      force = v;
      return this;
    }

    /**
     * @param v Maven's {@code project.build.outputTimestamp}: ISO-8601 or seconds since the
     *     epoch; null, blank or one character (Maven's "not set") leave the date out
     */
    public Builder outputTimestamp(String v) {
      outputTimestamp = InvalidSettingException.parse("outputTimestamp", () -> {
        if (v == null || v.trim().length() <= 1 || v.startsWith("${")) { // unset in the POM
          return null;
        }
        String t = v.trim();
        if (t.chars().allMatch(Character::isDigit)) {
          return java.time.Instant.ofEpochSecond(Long.parseLong(t));
        }
        try {
          return java.time.OffsetDateTime.parse(t).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
          throw new IllegalArgumentException("project.build.outputTimestamp '" + v + "' is"
              + " neither ISO-8601 (e.g. 2026-01-01T00:00:00Z) nor seconds since the epoch");
        }
      });
      return this;
    }

    /** @param v this plugin's version */
    public Builder pluginVersion(String v) {
      pluginVersion = v;
      return this;
    }

    /**
     * @return the validated configuration
     * @throws InvalidSettingException naming the first invalid setting
     */
    public TrainConfiguration build() {
      BackboneSource source = InvalidSettingException.parse("backbone",
          () -> BackboneSource.parse(backbone, baseDir));
      List<BackboneSource> alternatives = new java.util.ArrayList<>();
      for (String name : backbones == null ? new String[0] : backbones.split(",")) {
        if (!name.isBlank()) {
          BackboneSource alt = InvalidSettingException.parse("backbones",
              () -> BackboneSource.parse(name.trim(), baseDir));
          if (!alt.equals(source) && !alternatives.contains(alt)) {
            alternatives.add(alt);
          }
        }
      }
      Path work = workDir == null ? baseDir.resolve("target/kiln") : workDir;
      return new TrainConfiguration(
          new Data(images == null ? baseDir.resolve("src/main/images") : images, includes,
              excludes, validationSplit, failOnBadImages, followLinks),
          new Backbone(source, InvalidSettingException.parse("backboneMirrorTrusted",
              () -> new BackboneResolver.Source(backboneSha256, backboneCache, backboneMirror,
                  offline, artifacts, backboneMirrorTrusted)), backboneFamily, preprocessing, inputSize,
              featureLayer, featureDepths, pooling, resize, alternatives),
          new Head(headSolver, hiddenUnits, dropout, labelSmoothing, balanceClasses,
              testTimeFlip),
          new Optimisation(mode, fineTuneBlocks, epochs, batchSize, learningRate,
              learningRateSchedule, weightDecay, patience, augmentedCopies, augmentation, seed,
              maxTrainingTime),
          new Gates(minAccuracy, maxAccuracyDrop, estimateFolds),
          new Export(quantize, maxQuantizationDrop),
          new Outputs(className, classesDir == null ? baseDir.resolve("target/classes")
              : classesDir, work, cacheDir, cacheMaxBytes, generatedSources == null
              ? baseDir.resolve("target/generated-sources/kiln") : generatedSources, suspects),
          new Run(baseDir, device, force, pluginVersion, outputTimestamp));
    }

    /** @return {@code 90s}, {@code 3m}, {@code 1h} (or an ISO-8601 duration) as a duration */
    static java.time.Duration duration(String v) {
      String t = v == null ? "" : v.trim().toLowerCase(Locale.ROOT);
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\s*(s|m|h)")
          .matcher(t);
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "s" -> java.time.Duration.ofSeconds(n);
          case "m" -> java.time.Duration.ofMinutes(n);
          default -> java.time.Duration.ofHours(n);
        };
      }
      try {
        return java.time.Duration.parse(v.trim());
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("'" + v + "' is not a duration; write e.g. 90s, 3m"
            + " or 1h");
      }
    }
  }
}
