package dev.kiln.maven.train;

import dev.kiln.maven.config.LearningRateSchedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * Trains the new classification head on cached features with DL4J: dropout → softmax, Adam,
 * cross-entropy, seeded shuffling, best epoch by validation loss restored at the end, early stop
 * after {@code patience} epochs without a real improvement ({@link EarlyStopping}).
 */
final class HeadTrainer {

  /** Name of the head's input. */
  static final String FEATURES = "features";

  /**
   * @param epochs maximum epochs
   * @param batchSize minibatch size
   * @param learningRate Adam learning rate
   * @param dropout dropout rate before the head
   * @param weightDecay decoupled weight decay coefficient
   * @param patience epochs without validation-loss improvement before stopping
   * @param seed seed for initialisation, dropout and shuffling
   * @param labelSmoothing ε: targets become (1 − ε)·one-hot + ε/K
   * @param classWeights per-label loss weights, or null for none
   * @param schedule how the learning rate changes
   * @param hiddenUnits units of a ReLU dense layer before the softmax (0: none)
   */
  record Config(int epochs, int batchSize, double learningRate, double dropout,
      double weightDecay, int patience, long seed, double labelSmoothing, double[] classWeights,
      LearningRateSchedule schedule, int hiddenUnits) {

    /**
     * @param request the training's settings
     * @param learningRate this stage's learning rate
     * @param classWeights per-label loss weights, or null
     * @param hiddenUnits units of the head's hidden layer
     * @return the stage's configuration
     */
    static Config of(TrainingRequest request, double learningRate, double[] classWeights,
        int hiddenUnits) {
      return new Config(request.epochs(), request.batchSize(), learningRate, request.dropout(),
          request.weightDecay(), request.patience(), request.seed(), request.labelSmoothing(),
          classWeights, request.schedule(), hiddenUnits);
    }

    /**
     * @param iterationsPerEpoch minibatches per epoch
     * @return Adam at this learning rate, following the schedule
     */
    org.nd4j.linalg.learning.config.IUpdater updater(int iterationsPerEpoch) {
      return schedule == null || schedule == LearningRateSchedule.CONSTANT
          ? new Adam(learningRate)
          : new Adam(schedule.toSchedule(learningRate, epochs, iterationsPerEpoch));
    }
  }

  /**
   * "Balanced" class weights: {@code n / (K · count_k)}, so every label contributes equally to
   * the loss however many images it has.
   *
   * @param labels label index per training image
   * @param classes number of labels
   * @return one weight per label
   */
  static double[] balancedWeights(int[] labels, int classes) {
    int[] counts = new int[classes];
    for (int l : labels) {
      counts[l]++;
    }
    double[] w = new double[classes];
    for (int k = 0; k < classes; k++) {
      w[k] = counts[k] == 0 ? 0 : labels.length / (double) (classes * counts[k]);
    }
    return w;
  }

  /**
   * Weights the cross-entropy of a built graph's softmax head per label (for graphs built
   * elsewhere, e.g. the whole network in modes full and scratch).
   *
   * @param g a graph whose output layer is {@link dev.kiln.maven.backbone.Backbone#HEAD}
   * @param classWeights one weight per label, or null to leave the loss as it is
   */
  static void weighLoss(ComputationGraph g, double[] classWeights) {
    if (classWeights == null) {
      return;
    }
    var layer = (org.deeplearning4j.nn.conf.layers.BaseOutputLayer) g.getLayer(
        dev.kiln.maven.backbone.Backbone.HEAD).conf().getLayer();
    layer.setLossFn(new LossMCXENT(Nd4j.create(classWeights).castTo(DataType.FLOAT)));
  }

  /**
   * @param head the trained head, best epoch's parameters
   * @param history per-epoch metrics
   * @param bestEpoch 1-based epoch whose parameters were kept
   */
  record Result(ComputationGraph head, List<EpochStats> history, int bestEpoch) {}

  private HeadTrainer() {}

  static ComputationGraph build(int features, int classes, Config c) {
    return build(features, classes, c, 1);
  }

  static ComputationGraph build(int features, int classes, Config c, int iterationsPerEpoch) {
    NeuralNetConfiguration.Builder nn = new NeuralNetConfiguration.Builder()
        .seed(c.seed())
        .dataType(DataType.FLOAT)
        .updater(c.updater(iterationsPerEpoch))
        .weightInit(WeightInit.XAVIER);
    if (c.weightDecay() > 0) {
      nn.weightDecay(c.weightDecay());
    }
    var b = nn.graphBuilder()
        .addInputs(FEATURES)
        .setInputTypes(InputType.feedForward(features));
    String last = FEATURES;
    int in = features;
    if (c.hiddenUnits() > 0) {
      b.addLayer(dev.kiln.maven.backbone.Backbone.HIDDEN, new DenseLayer.Builder().nIn(features)
          .nOut(c.hiddenUnits()).activation(Activation.RELU).build(), FEATURES);
      last = dev.kiln.maven.backbone.Backbone.HIDDEN;
      in = c.hiddenUnits();
    }
    if (c.dropout() > 0) {
      b.addLayer("dropout", new DropoutLayer.Builder(1.0 - c.dropout()).build(), last);
      last = "dropout";
    }
    b.addLayer(dev.kiln.maven.backbone.Backbone.HEAD,
        new OutputLayer.Builder(c.classWeights() == null ? new LossMCXENT()
            : new LossMCXENT(Nd4j.create(c.classWeights()).castTo(DataType.FLOAT)))
            .nIn(in).nOut(classes).activation(Activation.SOFTMAX).build(), last);
    b.setOutputs(dev.kiln.maven.backbone.Backbone.HEAD);
    ComputationGraph g = new ComputationGraph(b.build());
    g.init();
    return g;
  }

  static Result train(float[][] trainX, int[] trainY, float[][] valX, int[] valY, int classes,
      Config c, ProgressListener listener) {
    Nd4j.getRandom().setSeed(c.seed());
    ComputationGraph head = build(trainX[0].length, classes, c,
        (trainX.length + c.batchSize() - 1) / c.batchSize());
    return fit(head, Nd4j.create(trainX), null, trainY, Nd4j.create(valX), valY, classes, c,
        false, listener);
  }

  /**
   * Examples a graph is trained or evaluated on: in memory (feature rows, feature maps) or
   * streamed (images decoded per batch).
   */
  abstract static class Inputs {
    private final int[] labels;

    /** @param labels label index per example */
    Inputs(int[] labels) {
      this.labels = labels.clone();
    }

    /** @return number of examples */
    final int size() {
      return labels.length;
    }

    /** @return label index per example */
    final int[] labels() {
      return labels.clone();
    }

    /**
     * @param idx example indices
     * @param epoch 1-based training epoch, 0 for evaluation (no augmentation)
     * @return the graph input for those examples
     */
    abstract INDArray batch(int[] idx, int epoch);
  }

  /**
   * Off-heap batch arrays reused from batch to batch, one per shape. ND4J frees an array's
   * native memory only when the garbage collector collects its Java object, and a training loop
   * makes little Java garbage: fresh arrays per batch made resident memory grow with the number
   * of batches (about 16 KB per batch of head features, megabytes per batch of images).
   */
  static final class ReusedArrays {
    private final java.util.Map<java.util.List<Long>, INDArray> arrays = new java.util.HashMap<>();

    /** @return a float array of that shape, the same one on every call with that shape */
    INDArray get(long... shape) {
      return arrays.computeIfAbsent(java.util.Arrays.stream(shape).boxed().toList(),
          k -> Nd4j.create(DataType.FLOAT, shape));
    }

    /** @return the rows {@code idx} of {@code source}, copied into a reused array */
    INDArray rows(INDArray source, int[] idx) {
      INDArray dest = get(idx.length, source.size(1));
      return Nd4j.pullRows(source, dest, 1, idx);
    }
  }

  /**
   * Examples held as one array, one row per example, reshaped to {@code sampleShape} (null:
   * flat rows). Batches are copied into reused arrays: valid until the next call.
   */
  static final class ArrayInputs extends Inputs {
    private final INDArray x;
    private final long[] sampleShape;
    private final ReusedArrays reused = new ReusedArrays();

    ArrayInputs(INDArray x, long[] sampleShape, int[] labels) {
      super(labels);
      this.x = x;
      this.sampleShape = sampleShape;
    }

    @Override
    INDArray batch(int[] idx, int epoch) {
      INDArray rows = reused.rows(x, idx);
      return sampleShape == null ? rows
          : rows.reshape('c', rows.size(0), sampleShape[0], sampleShape[1], sampleShape[2]);
    }

    boolean flat() {
      return sampleShape == null;
    }

    INDArray all() {
      return x;
    }
  }

  /**
   * Trains any graph with one input and a softmax output: seeded shuffling, per-epoch metrics,
   * the best epoch by validation loss restored, early stopping after {@code patience} epochs.
   *
   * @param g the graph (trained in place)
   * @param x training inputs, one row per example
   * @param sampleShape shape of one example when the graph takes images ({@code [C, H, W]}),
   *     null for flat rows
   * @param startIsCandidate when true the parameters before training compete as "epoch 0" (their
   *     result has {@code bestEpoch} 0 when no epoch beats them)
   */
  static Result fit(ComputationGraph g, INDArray x, long[] sampleShape, int[] trainY,
      INDArray vx, int[] valY, int classes, Config c, boolean startIsCandidate,
      ProgressListener listener) {
    return fit(g, new ArrayInputs(x, sampleShape, trainY), new ArrayInputs(vx, sampleShape, valY),
        classes, c, startIsCandidate, listener);
  }

  /**
   * {@link #fit(ComputationGraph, INDArray, long[], int[], INDArray, int[], int, Config, boolean,
   * ProgressListener)} on any {@link Inputs}.
   */
  static Result fit(ComputationGraph g, Inputs train, Inputs val, int classes, Config c,
      boolean startIsCandidate, ProgressListener listener) {
    int[] trainY = train.labels();
    int[] valY = val.labels();
    INDArray y = oneHot(trainY, classes);
    if (c.labelSmoothing() > 0) {
      y.muli(1 - c.labelSmoothing()).addi(c.labelSmoothing() / classes);
    }
    Random random = new Random(c.seed());
    List<EpochStats> history = new ArrayList<>();
    INDArray best = g.params().dup();
    EarlyStopping stopping = new EarlyStopping(c.patience(), startIsCandidate
        ? crossEntropy(output(g, val), valY) : Double.POSITIVE_INFINITY);
    ReusedArrays targets = new ReusedArrays();
    long start = System.nanoTime();
    int[] order = new int[trainY.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    for (int epoch = 1; epoch <= c.epochs(); epoch++) {
      shuffle(order, random);
      for (int from = 0; from < order.length; from += c.batchSize()) {
        int to = Math.min(order.length, from + c.batchSize());
        int[] idx = java.util.Arrays.copyOfRange(order, from, to);
        g.fit(new DataSet(train.batch(idx, epoch), targets.rows(y, idx)));
      }
      // both sides measured alike: inference mode (no dropout), plain cross-entropy (no label
      // smoothing, class weights or weight decay), after the epoch
      INDArray tp = output(g, train);
      double trainLoss = crossEntropy(tp, trainY);
      double trainAcc = accuracy(tp, trainY);
      INDArray vp = output(g, val);
      double valLoss = crossEntropy(vp, valY);
      double valAcc = accuracy(vp, valY);
      long elapsed = (System.nanoTime() - start) / 1_000_000;
      long eta = elapsed / epoch * (c.epochs() - epoch);
      EpochStats stats = new EpochStats(epoch, c.epochs(), trainLoss, trainAcc, valLoss, valAcc,
          elapsed, eta);
      history.add(stats);
      listener.epoch(stats);
      if (stopping.record(epoch, valLoss)) {
        best = g.params().dup();
      }
      if (stopping.shouldStop(epoch)) {
        listener.debug("early stop at epoch " + epoch + ": validation loss has not improved by"
            + " more than " + EarlyStopping.RELATIVE_DELTA * 100 + "% since epoch "
            + stopping.lastImprovement() + "; best epoch " + stopping.bestEpoch());
        break;
      }
    }
    g.setParams(best);
    return new Result(g, history, stopping.bestEpoch());
  }

  /** Inference in chunks, so large image inputs never need one huge activation. */
  static INDArray output(ComputationGraph g, Inputs inputs) {
    if (inputs instanceof ArrayInputs a && a.flat()) {
      return g.outputSingle(false, a.all()); // flat rows are small: one call
    }
    List<INDArray> parts = new ArrayList<>();
    for (int from = 0; from < inputs.size(); from += 64) {
      int to = Math.min(inputs.size(), from + 64);
      int[] idx = java.util.stream.IntStream.range(from, to).toArray();
      parts.add(g.outputSingle(false, inputs.batch(idx, 0)));
    }
    return Nd4j.vstack(parts.toArray(INDArray[]::new));
  }

  private static void shuffle(int[] a, Random r) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  static INDArray oneHot(int[] labels, int classes) {
    INDArray y = Nd4j.zeros(DataType.FLOAT, labels.length, classes);
    for (int i = 0; i < labels.length; i++) {
      y.putScalar(i, labels[i], 1f);
    }
    return y;
  }

  static double accuracy(INDArray probabilities, int[] labels) {
    // one copy to Java arrays: per-row INDArray ops cost ~0.1 ms each
    float[][] p = probabilities.toFloatMatrix();
    int right = 0;
    for (int i = 0; i < labels.length; i++) {
      int best = 0;
      for (int k = 1; k < p[i].length; k++) {
        if (p[i][k] > p[i][best]) {
          best = k;
        }
      }
      if (best == labels[i]) {
        right++;
      }
    }
    return labels.length == 0 ? 0 : right / (double) labels.length;
  }

  static double crossEntropy(INDArray probabilities, int[] labels) {
    float[][] p = probabilities.toFloatMatrix();
    double sum = 0;
    for (int i = 0; i < labels.length; i++) {
      sum -= Math.log(Math.max(1e-12, p[i][labels[i]]));
    }
    return labels.length == 0 ? 0 : sum / labels.length;
  }
}
