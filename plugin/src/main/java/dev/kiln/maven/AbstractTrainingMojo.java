package dev.kiln.maven;

import dev.kiln.maven.backbone.ArtifactResolver;

import org.apache.maven.plugins.annotations.Parameter;

/**
 * The training hyper-parameters of {@link TrainMojo}: how long, how fast and how regularised the
 * network is trained. Kept apart so that the goal itself stays a thin mapping.
 *
 * @since 0.1.0
 */
public abstract class AbstractTrainingMojo extends AbstractBackboneMojo {

  /** Maximum epochs (early stopping may end sooner). Default {@code 50}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.epochs", defaultValue = "50")
  protected int epochs;

  /** Minibatch size. Default {@code 16}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.batchSize", defaultValue = "16")
  protected int batchSize;

  /** Adam learning rate of the head (and of the whole network in mode {@code scratch}); the later
   * stage of {@code full} uses a hundredth of it ({@code fine-tune} finds its rates by a range
   * test, and uses a hundredth of it where the test finds none). Default {@code 0.001}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.learningRate", defaultValue = "0.001")
  protected double learningRate;

  /** Learning-rate schedule: {@code constant}, {@code warmup-cosine} or {@code step}.
   * Default {@code constant}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.learningRateSchedule", defaultValue = "constant")
  protected String learningRateSchedule;

  /** Global pooling that turns the backbone's feature maps into the head's input: {@code avg}
   * or {@code max} (Keras applications' {@code pooling}). Default {@code avg}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.pooling", defaultValue = "avg")
  protected String pooling;

  /** Features from more than one depth: the pooled outputs of this many backbone blocks, ending
   * at {@code featureLayer} (or the last block), concatenated before the head — for photos unlike
   * ImageNet's, where earlier, more generic features help. Mode {@code feature-extractor} only.
   * Default {@code 1} (the cut layer alone; on hymenoptera 2 and 3 lowered the estimate,
   * docs/benchmarks.md). Example: {@code 3}.
   * @since 0.2.0 */
  @Parameter(property = "kiln.featureDepths", defaultValue = "1")
  protected int featureDepths;

  /** Units of a ReLU dense layer between pooling and the softmax head (the tutorials' "small
   * dense head"); 0 keeps the head a single softmax layer. Default {@code 0}. Example: {@code 256}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.hiddenUnits", defaultValue = "0")
  protected int hiddenUnits;

  /** How the head is trained: {@code lbfgs} (softmax regression fitted to convergence on the
   * frozen features, L2 strength chosen by cross-validation, refitted on every photo that is not
   * held out), {@code adam} (minibatch Adam with dropout and early stopping on validation loss),
   * or {@code auto} ({@code lbfgs} unless {@code hiddenUnits} &gt; 0). Default {@code auto}.
   * @since 0.2.0 */
  @Parameter(property = "kiln.headSolver", defaultValue = "auto")
  protected String headSolver;

  /** Test-time flip: the exported model classifies each photo and its mirror image (left and
   * right swapped) and averages the two predictions, inside the ONNX graph (one input, one output,
   * about twice the inference cost). Off by default: on the hymenoptera photos it did not raise
   * the estimate (docs/benchmarks.md). Not for photos whose orientation matters (text, signs).
   * @since 0.2.0 */
  @Parameter(property = "kiln.testTimeFlip", defaultValue = "false")
  protected boolean testTimeFlip;

  /** Dropout rate before the head (Adam heads). Default {@code 0.2}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.dropout", defaultValue = "0.2")
  protected double dropout;

  /** Weight decay of the head. Default {@code 0.0001}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.weightDecay", defaultValue = "0.0001")
  protected double weightDecay;

  /** Epochs without validation-loss improvement before stopping; the best epoch is kept.
   * Default {@code 10}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.patience", defaultValue = "10")
  protected int patience;

  /** Augmentation: how many randomly cropped, flipped, rotated (±10°) and colour-jittered copies
   * of each training photo are added (validation photos are never augmented); 0 turns it off.
   * Default {@code 0}. Example: {@code 4}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.augmentedCopies", defaultValue = "0")
  protected int augmentedCopies;

  /** Which augmentation the copies get, as {@code key=value;...}; keys left out keep their
   * defaults: {@code crop} (smallest area fraction of the random resized crop, 1 = none),
   * {@code flip} (true/false), {@code rotate} (max degrees either way), {@code brightness},
   * {@code contrast}, {@code saturation} (max relative change). Default
   * {@code crop=0.6;flip=true;rotate=10;brightness=0.2;contrast=0.2;saturation=0.2}. Example:
   * {@code flip=false;rotate=0} for photos whose orientation matters.
   * @since 0.1.0 */
  @Parameter(property = "kiln.augmentation")
  protected String augmentation;

  /** Label smoothing ε (0 ≤ ε &lt; 0.5): targets become (1 − ε)·one-hot + ε/labels. Default
   * {@code 0}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.labelSmoothing", defaultValue = "0")
  protected double labelSmoothing;

  /** When the largest label has at least 1.5× the photos of the smallest, weight the loss by
   * inverse label frequency so every label counts equally. Default {@code true}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.balanceClasses", defaultValue = "true")
  protected boolean balanceClasses;

  /** Attach the trained model to the build (classifier {@code model}, type {@code onnx}), so that
   * {@code mvn install}/{@code deploy} publish it beside the jar and other projects can use it
   * as their {@code backbone} ({@code groupId:artifactId:version}) or load it. Default
   * {@code true}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.attachModel", defaultValue = "true")
  protected boolean attachModel;

  @org.apache.maven.plugins.annotations.Component
  private org.apache.maven.project.MavenProjectHelper projectHelper;

  /** Attaches the model in {@code classesDir} to the project, unless {@code attachModel=false}. */
  protected void attachModel() {
    if (!attachModel || projectHelper == null) {
      return;
    }
    java.io.File model = classesDir.toPath().resolve(
        dev.kiln.maven.codegen.ClassifierGenerator.modelResource(className)).toFile();
    projectHelper.attachArtifact(project, ArtifactResolver.MODEL_TYPE,
        ArtifactResolver.MODEL_CLASSIFIER, model);
    getLog().debug("attached " + model + " as " + project.getArtifactId() + "-"
        + project.getVersion() + "-model.onnx");
  }

  /**
   * With {@code model} set: bundles that model instead of training (and attaches it).
   *
   * @return true when it did
   */
  protected boolean bundleExistingModel() throws dev.kiln.maven.problem.UserProblemException {
    if (model == null || model.isBlank()) {
      return false;
    }
    dev.kiln.maven.goal.ExistingModel existing = existingModel();
    boolean changed = existing.install(classesDir.toPath(), className);
    getLog().info("no training: bundled " + existing.line() + (changed ? "" : ", unchanged"));
    attachModel();
    return true;
  }
}
