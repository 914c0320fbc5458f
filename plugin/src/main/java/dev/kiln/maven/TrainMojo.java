package dev.kiln.maven;

import dev.kiln.maven.config.TrainConfiguration;
import dev.kiln.maven.goal.TrainGoal;
import dev.kiln.maven.problem.UserProblemException;
import java.io.File;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Fine-tunes the pretrained backbone on the labelled images and bundles the ONNX model as
 * {@code target/classes/<package path>/<ClassName>.onnx}; writes {@code target/kiln/report.html}
 * and {@code metrics.json}. Runs after compilation (compile errors show first) and before tests
 * (the project's tests can use the model). Skips training when nothing changed.
 *
 * @since 0.1.0
 */
@Mojo(name = "train", defaultPhase = LifecyclePhase.PROCESS_CLASSES, threadSafe = true)
public class TrainMojo extends AbstractTrainingMojo {

  /** More backbones for {@code mode=auto} to try beside {@code backbone}, comma-separated
   * catalogue names, URLs or files (as {@code backbone}); each becomes a candidate scored on the
   * same photos, and the best ships. Example: {@code mobilenet_v1_0.25_224,squeezenet_1.1}.
   * Default: none (just {@code backbone}).
   * @since 0.1.0 */
  @Parameter(property = "kiln.backbones")
  private String backbones;

  /** How long {@code mode=auto} may spend trying candidates (frozen features with and without
   * test-time flip, several depths), cheapest first; the first always runs, later ones only while
   * the time spent so far is under this. Examples: {@code 90s}, {@code 3m}, {@code 1h}. Default
   * {@code 3m}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.maxTrainingTime", defaultValue = "3m")
  private String maxTrainingTime;

  /** Transfer mode: {@code feature-extractor} (backbone frozen, new head), {@code fine-tune}
   * (then the top blocks), {@code full} (then every layer), {@code scratch} (random weights) or
   * {@code auto} (tries frozen-extractor candidates — backbones, test-time flip, depths — on one
   * protocol within {@code maxTrainingTime} and keeps the cheapest within the noise of the best;
   * the log and the report show the leaderboard). Default {@code auto}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.mode", defaultValue = "auto")
  private String mode;

  /** Top backbone blocks trained in mode {@code fine-tune}. Default {@code 2}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.fineTuneBlocks", defaultValue = "2")
  private int fineTuneBlocks;

  /** Fail the build on an unreadable image instead of skipping it. Default {@code false}.
   *
   * @since 0.1.0 */
  @Parameter(property = "kiln.failOnBadImages", defaultValue = "false")
  private boolean failOnBadImages;

  /** Quality gate: the build fails when the estimated accuracy on new photos (measured on photos
   * no training decision used; see {@code estimateFolds}) is lower (0–1). Default {@code 0}.
   * Example: {@code 0.9}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.minAccuracy", defaultValue = "0")
  private double minAccuracy;

  /** Retrain even when nothing changed. Default {@code false}. Example: {@code -Dkiln.force}.
   *
   * @since 0.1.0 */
  @Parameter(property = "kiln.force", defaultValue = "false")
  private boolean force;

  /** List the photos whose label (folder) is probably wrong: confident learning on the
   * estimate's predictions (each photo predicted by a head that never trained on it), in the log,
   * {@code metrics.json} ({@code suspectedMislabels}) and the report, most suspicious first.
   * Never changes training. Default {@code true}. Example: {@code -Dkiln.suspects=false}.
   * @since 0.2.0 */
  @Parameter(property = "kiln.suspects", defaultValue = "true")
  private boolean suspects;

  /** Cache of frozen-backbone outputs, keyed by image content, backbone, cut layer and
   * preprocessing: later builds compute only new or changed photos, also after {@code mvn clean}
   * and across projects. Shared by the user's builds; clear it with {@code rm -rf ~/.kiln/cache}.
   * Default {@code ${user.home}/.kiln/cache/features}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.cacheDir", defaultValue = "${user.home}/.kiln/cache/features")
  private File cacheDir;

  /** Size limit of the feature cache ({@code cacheDir}): after a training, the least recently
   * used entries beyond it are removed (entries used within the last hour stay). {@code 0}: no
   * limit. Default {@code 2GB}. Example: {@code 500MB}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.cacheMaxSize", defaultValue = "2GB")
  private String cacheMaxSize;

  /** Accuracy-drop gate: the build fails (keeping the model being replaced) when the new model
   * is worse than it by more than this (0–1): both run on the same held-out validation photos, or,
   * when the new head learnt from every photo, the new estimate against the replaced model's
   * recorded estimate. Unset by default (no comparison). Example: {@code 0.02}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.maxAccuracyDrop")
  private Double maxAccuracyDrop;

  /** Where {@code generate} put the class; its javadoc is refreshed after a training. Default
   * {@code ${project.build.directory}/generated-sources/kiln}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.generatedSources",
      defaultValue = "${project.build.directory}/generated-sources/kiln")
  private File generatedSources;

  /** Folds of the stratified cross-validation that chooses the L-BFGS head's L2 strength and,
   * without a {@code val/} folder, estimates the accuracy on new photos (nested, so no photo's
   * prediction was chosen with that photo). Default {@code 5}. Example: {@code 10}.
   * @since 0.2.0 */
  @Parameter(property = "kiln.estimateFolds", defaultValue = "5")
  private int estimateFolds;

  /** The shipped model's number format: {@code none} (float32), {@code int8} (statically
   * quantised, QDQ: about a third of the size, integer kernels on the CPU; activations calibrated
   * with min/max on up to 64 training photos) or {@code fp16} (half precision for GPUs; slower on
   * the CPU). Default {@code none}.
   * @since 0.2.0 */
  @Parameter(property = "kiln.quantize", defaultValue = "none")
  private String quantize;

  /** With {@code quantize=int8}: how much less accurate than the float model (0–1, on the
   * validation photos) the int8 model may be before the build refuses it, keeping the previous
   * model. Default {@code 0.01} (one point).
   * @since 0.2.0 */
  @Parameter(property = "kiln.maxQuantizationDrop", defaultValue = "0.01")
  private double maxQuantizationDrop;

  @Parameter(defaultValue = "${project.build.outputTimestamp}", readonly = true)
  private String outputTimestamp;

  @Parameter(defaultValue = "${plugin.version}", readonly = true)
  private String pluginVersion;

  @Override
  protected void run() throws UserProblemException, MojoFailureException {
    if (bundleExistingModel()) {
      return;
    }
    TrainConfiguration configuration;
    try {
      configuration = configuration();
    } catch (IllegalArgumentException e) {
      throw new MojoFailureException(e.getMessage(), e);
    }
    TrainGoal.Outcome outcome = TrainGoal.run(configuration, progress());
    if (!outcome.upToDate() && TrainGoal.refreshGeneratedClass(workDir.toPath(), className,
        outcome.labels(), generatedSources.toPath())) {
      getLog().debug("refreshed the metrics in the javadoc of " + className);
    }
    getLog().info(outcome.line());
    attachModel();
  }

  /** @return the parameters as the typed configuration (a bad value names its setting) */
  TrainConfiguration configuration() {
    return TrainConfiguration.builder()
        .baseDir(project.getBasedir().toPath())
        .images(images.toPath()).includes(includes).excludes(excludes)
        .validationSplit(validationSplit).failOnBadImages(failOnBadImages)
        .followLinks(followLinks)
        .backbone(backbone).backbones(backbones).backboneSha256(backboneSha256).backboneCache(backboneCache.toPath())
        .backboneMirror(backboneMirror)
        .backboneMirrorTrusted(backboneMirrorTrusted).backboneFamily(backboneFamily).preprocessing(preprocessing)
        .offline(offline)
        .artifacts(artifacts())
        .inputSize(inputSize).featureLayer(featureLayer).featureDepths(featureDepths)
        .pooling(pooling).resize(resize)
        .headSolver(headSolver).hiddenUnits(hiddenUnits).dropout(dropout)
        .labelSmoothing(labelSmoothing).balanceClasses(balanceClasses).testTimeFlip(testTimeFlip)
        .mode(mode).fineTuneBlocks(fineTuneBlocks).epochs(epochs).batchSize(batchSize)
        .learningRate(learningRate).learningRateSchedule(learningRateSchedule)
        .weightDecay(weightDecay).patience(patience).augmentedCopies(augmentedCopies)
        .augmentation(augmentation).seed(seed).maxTrainingTime(maxTrainingTime)
        .minAccuracy(minAccuracy).maxAccuracyDrop(maxAccuracyDrop).estimateFolds(estimateFolds)
        .quantize(quantize).maxQuantizationDrop(maxQuantizationDrop)
        .className(className).classesDir(classesDir.toPath()).workDir(workDir.toPath())
        .cacheDir(cacheDir == null ? null : cacheDir.toPath()).cacheMaxSize(cacheMaxSize)
        .generatedSources(generatedSources.toPath()).suspects(suspects)
        .device(device).force(force).pluginVersion(pluginVersion)
        .outputTimestamp(outputTimestamp)
        .build();
  }
}
