package dev.kiln.maven.backbone;

import dev.kiln.maven.engine.Dl4jSetup;
import dev.kiln.runtime.image.Preprocessing;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A pretrained backbone: an architecture, its Keras weights and the input size. Builds DL4J
 * graphs (feature extractor, ImageNet classifier, classifier with a new head) with the weights
 * loaded.
 *
 * @param source where the weights came from (for logs, fingerprints and model metadata)
 * @param sha256 SHA-256 of the weights file
 * @param architecture the network family
 * @param inputSize input width and height
 * @param weights Keras weights by name
 * @param pooling how the feature maps become the head's input: global {@code AVG} or {@code MAX}
 * @param hiddenUnits units of a ReLU dense layer between pooling and the softmax head (0: none,
 *     the head is a single softmax layer)
 * @param featureDepths block outputs whose pooled features are concatenated, ending at the cut
 *     (1: the cut layer's alone)
 */
public record Backbone(String source, String sha256, Architecture architecture, int inputSize,
    Map<String, WeightTensor> weights, PoolingType pooling, int hiddenUnits, int featureDepths) {

  /** Name of the graph's image input. */
  public static final String INPUT = "input";
  /** Name of the global pooling layer after the features. */
  public static final String POOL = "global_average_pooling2d_1";
  /** Name of the optional hidden layer of the new head. */
  public static final String HIDDEN = "head_hidden";
  /** Name of the new classification head. */
  public static final String HEAD = "predictions";

  public Backbone {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(architecture, "architecture");
    if (inputSize < 32 || inputSize > 1024) {
      throw new IllegalArgumentException("input size must be 32..1024, was " + inputSize);
    }
    weights = Map.copyOf(architecture.named(weights));
    if (pooling != PoolingType.AVG && pooling != PoolingType.MAX) {
      throw new IllegalArgumentException("pooling must be avg or max, was " + pooling);
    }
    if (hiddenUnits < 0 || hiddenUnits > 4096) {
      throw new IllegalArgumentException("hiddenUnits must be in [0, 4096], was " + hiddenUnits);
    }
    if (featureDepths < 1 || featureDepths > 4) {
      throw new IllegalArgumentException("featureDepths must be in [1, 4], was " + featureDepths);
    }
  }

  /** A backbone with global average pooling (the Keras applications' {@code pooling='avg'}). */
  public Backbone(String source, String sha256, Architecture architecture, int inputSize,
      Map<String, WeightTensor> weights) {
    this(source, sha256, architecture, inputSize, weights, PoolingType.AVG, 0, 1);
  }

  /**
   * @param type global pooling before the head: {@code AVG} or {@code MAX}
   * @return this backbone with that pooling
   */
  public Backbone withPooling(PoolingType type) {
    return new Backbone(source, sha256, architecture, inputSize, weights, type, hiddenUnits,
        featureDepths);
  }

  /**
   * @param units units of a ReLU dense layer before the softmax head, 0 for none
   * @return this backbone with that head
   */
  public Backbone withHiddenUnits(int units) {
    return new Backbone(source, sha256, architecture, inputSize, weights, pooling, units,
        featureDepths);
  }

  /**
   * @param depths block outputs whose pooled features are concatenated (1: the cut's alone)
   * @return this backbone with that feature extractor
   */
  public Backbone withFeatureDepths(int depths) {
    return new Backbone(source, sha256, architecture, inputSize, weights, pooling, hiddenUnits,
        depths);
  }

  /** Name of the concatenation of the pooled features of several depths. */
  public static final String POOLED_DEPTHS = "pooled_depths";

  /**
   * Global pooling after {@code cut} — or, with {@link #featureDepths()} &gt; 1, after each of
   * the block outputs ending at it, concatenated.
   *
   * @return the name of the pooled features' vertex
   */
  private String pool(GraphBuilder b, String cut) {
    if (featureDepths == 1) {
      b.addLayer(POOL, new GlobalPoolingLayer.Builder(pooling).build(), cut);
      return POOL;
    }
    List<String> parts = new java.util.ArrayList<>();
    for (String layer : architecture.depthsEndingAt(cut, featureDepths)) {
      String name = POOL + "_" + layer;
      b.addLayer(name, new GlobalPoolingLayer.Builder(pooling).build(), layer);
      parts.add(name);
    }
    b.addVertex(POOLED_DEPTHS, new org.deeplearning4j.nn.conf.graph.MergeVertex(),
        parts.toArray(String[]::new));
    return POOLED_DEPTHS;
  }

  /** @return channels of the pooled features ending at {@code cut} */
  private int pooledChannels(String cut, int cutChannels) {
    if (featureDepths == 1) {
      return cutChannels;
    }
    int c = 0;
    for (String layer : architecture.depthsEndingAt(cut, featureDepths)) {
      c += (int) architecture.shapeAfter(layer, inputSize)[0];
    }
    return c;
  }

  /**
   * @return what the frozen part's outputs depend on besides the photo, cut and fitting, for the
   *     feature cache: the weights' SHA-256 — and, for an ONNX backbone, the normalisation the
   *     user states, which a Keras family fixes
   */
  public String cacheIdentity() {
    return architecture instanceof OnnxArchitecture ? sha256 + "|" + normalization().toSpec()
        : sha256;
  }

  /**
   * @return the file name of {@link #source()} — of several backbones ({@link
   *     ParallelBackbones}), each one's, joined by {@code +}
   */
  public String sourceNames() {
    return java.util.Arrays.stream(source.split("\\+"))
        .map(s -> java.nio.file.Path.of(s).getFileName().toString())
        .collect(java.util.stream.Collectors.joining("+"));
  }

  /** @return the normalisation the weights expect (applied to raw 0..255 RGB) */
  public Preprocessing normalization() {
    return architecture.normalization(inputSize);
  }

  /** @return true when the weights include the ImageNet classifier ({@code conv_preds}) */
  public boolean hasImagenetTop() {
    return weights.containsKey("conv_preds/kernel");
  }

  private GraphBuilder builder(long seed, IUpdater updater) {
    return builder(seed, updater, InputType.convolutional(inputSize, inputSize, 3));
  }

  private static GraphBuilder builder(long seed, IUpdater updater, InputType input) {
    return builder(seed, updater, 0, input);
  }

  private static GraphBuilder builder(long seed, IUpdater updater, double weightDecay,
      InputType input) {
    Dl4jSetup.init();
    NeuralNetConfiguration.Builder nn = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .updater(updater)
        .weightInit(WeightInit.XAVIER);
    if (weightDecay > 0) {
      nn.weightDecay(weightDecay);
    }
    return nn
        .graphBuilder()
        .addInputs(INPUT)
        .setInputTypes(input);
  }

  private Set<String> pretrained(ComputationGraph g) {
    Set<String> names = new HashSet<>();
    for (var l : g.getLayers()) {
      names.add(l.conf().getLayer().getLayerName());
    }
    names.remove(HEAD);
    names.remove(HIDDEN);
    return names;
  }

  /**
   * Frozen features up to {@code cutAt}, then global average pooling: output {@code [N, C]}.
   *
   * @param cutAt last backbone layer (null: the last feature layer)
   * @return the initialised graph with pretrained weights
   */
  public ComputationGraph featureGraph(String cutAt) {
    String cut = cutAt == null ? architecture.lastFeatureLayer() : cutAt;
    GraphBuilder b = builder(0, new Adam(1e-3));
    architecture.addFeatures(b, INPUT, cut);
    b.setOutputs(pool(b, cut));
    return init(b);
  }

  /**
   * Frozen features up to {@code cutAt} without pooling: output {@code [N, C, H, W]}.
   *
   * @param cutAt last backbone layer
   * @return the initialised graph with pretrained weights
   */
  public ComputationGraph featureMapGraph(String cutAt) {
    GraphBuilder b = builder(0, new Adam(1e-3));
    architecture.addFeatures(b, INPUT, cutAt);
    b.setOutputs(cutAt);
    return init(b);
  }

  /**
   * The trainable top for fine-tuning: input the feature maps after {@link
   * Architecture#cutBefore(int)}, then the top units (BatchNorm folded, i.e. frozen statistics),
   * global average pooling, optional dropout and a new softmax head.
   *
   * @param topUnits units to train
   * @param classes number of labels
   * @param dropout dropout rate before the head
   * @param seed initialisation seed
   * @param updater optimiser (its learning rate applies to the whole top)
   * @param weightDecay weight decay of every trained layer (0: none)
   * @return the graph with pretrained weights in the units
   */
  public ComputationGraph topGraph(int topUnits, int classes, double dropout, long seed,
      IUpdater updater, double weightDecay) {
    long[] shape = architecture.shapeAfter(architecture.cutBefore(topUnits), inputSize);
    GraphBuilder b = builder(seed, updater, weightDecay,
        InputType.convolutional(shape[1], shape[2], shape[0]));
    int c = architecture.addTop(b, INPUT, topUnits);
    head(b, architecture.lastFeatureLayer(), c, classes, dropout);
    return init(b);
  }

  /**
   * The whole fine-tuned network for export: frozen part (as pretrained) up to {@link
   * Architecture#cutBefore(int)}, the top units in trainable form, pooling, dropout, head. Copy
   * the trained top's parameters into it by layer name.
   *
   * @param topUnits units that were trained
   * @param classes number of labels
   * @param dropout dropout rate before the head
   * @param seed initialisation seed
   * @return the graph
   */
  public ComputationGraph fineTunedGraph(int topUnits, int classes, double dropout, long seed) {
    String cut = architecture.cutBefore(topUnits);
    GraphBuilder b = builder(seed, new Adam(1e-3));
    architecture.addFeatures(b, INPUT, cut);
    int c = architecture.addTop(b, cut, topUnits);
    head(b, architecture.lastFeatureLayer(), c, classes, dropout);
    return init(b);
  }

  /**
   * The head of a trained whole network on its own, for a graph whose backbone is exported
   * separately (an ONNX backbone): pooled features {@code [N, features]} in, the optional hidden
   * layer and the softmax layer with the trained parameters.
   *
   * @param trained the whole trained network (its head layers named {@link #HIDDEN} and
   *     {@link #HEAD})
   * @param features the width of the pooled features
   * @param classes number of labels
   * @return the head alone
   */
  public ComputationGraph headOf(ComputationGraph trained, int features, int classes) {
    GraphBuilder b = builder(0, new Adam(1e-3), InputType.feedForward(features));
    String last = INPUT;
    int in = features;
    if (hiddenUnits > 0) {
      b.addLayer(HIDDEN, new DenseLayer.Builder().nIn(in).nOut(hiddenUnits)
          .activation(Activation.RELU).build(), last);
      last = HIDDEN;
      in = hiddenUnits;
    }
    b.addLayer(HEAD, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(in)
        .nOut(classes).activation(Activation.SOFTMAX).build(), last);
    b.setOutputs(HEAD);
    ComputationGraph g = new ComputationGraph(b.build());
    g.init();
    for (var layer : g.getLayers()) {
      String name = layer.conf().getLayer().getLayerName();
      trained.getLayer(name).paramTable().forEach((k, v) -> layer.getParam(k).assign(v));
    }
    return g;
  }

  private void head(GraphBuilder b, String features, int channels, int classes,
      double dropout) {
    String last = pool(b, features);
    channels = pooledChannels(features, channels);
    int in = channels;
    if (hiddenUnits > 0) {
      b.addLayer(HIDDEN, new DenseLayer.Builder().nIn(channels).nOut(hiddenUnits)
          .activation(Activation.RELU).build(), last);
      last = HIDDEN;
      in = hiddenUnits;
    }
    if (dropout > 0) {
      // DL4J's dropout argument is the probability of keeping an activation
      b.addLayer("dropout", new DropoutLayer.Builder(1.0 - dropout).build(), last);
      last = "dropout";
    }
    b.addLayer(HEAD, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(in)
        .nOut(classes).activation(Activation.SOFTMAX).build(), last);
    b.setOutputs(HEAD);
  }

  /**
   * The ImageNet classifier as published (the seeds' "use as is"): needs weights with the top.
   *
   * @return the graph, softmax over 1000 ImageNet classes
   */
  public ComputationGraph imagenetClassifier() {
    if (!hasImagenetTop()) {
      throw new IllegalStateException("backbone " + source + " has no ImageNet top (conv_preds)");
    }
    GraphBuilder b = builder(0, new Adam(1e-3));
    int c = architecture.addFeatures(b, INPUT, architecture.lastFeatureLayer());
    b.addLayer(POOL, new GlobalPoolingLayer.Builder(PoolingType.AVG).build(),
        architecture.lastFeatureLayer());
    b.addLayer("conv_preds", new DenseLayer.Builder().nIn(c).nOut(1000)
        .activation(Activation.SOFTMAX).build(), POOL);
    b.setOutputs("conv_preds");
    return init(b);
  }

  /**
   * Backbone (pretrained) + global average pooling + optional dropout + a new softmax head.
   *
   * @param cutAt last backbone layer (null: the last feature layer)
   * @param classes number of labels
   * @param dropout dropout rate before the head, 0 for none
   * @param seed initialisation seed
   * @param updater optimiser
   * @return the graph
   */
  public ComputationGraph classifierGraph(String cutAt, int classes, double dropout, long seed,
      IUpdater updater) {
    String cut = cutAt == null ? architecture.lastFeatureLayer() : cutAt;
    GraphBuilder b = builder(seed, updater);
    int c = architecture.addFeatures(b, INPUT, cut);
    head(b, cut, c, classes, dropout);
    return init(b);
  }

  /**
   * The whole network in trainable form with a new head, from the image input: for mode
   * {@code full} with the pretrained weights and every BatchNorm folded into its convolution
   * (statistics frozen, the Keras guide's inference mode), for mode {@code scratch} randomly
   * initialised with real BatchNorm layers that learn their statistics.
   *
   * @param pretrained true: pretrained weights, BatchNorm folded; false: random initialisation
   * @param classes number of labels
   * @param dropout dropout rate before the head
   * @param seed initialisation seed
   * @param updater optimiser (its learning rate applies to every layer)
   * @param weightDecay weight decay of every layer (0: none)
   * @return the graph
   */
  public ComputationGraph wholeGraph(boolean pretrained, int classes, double dropout, long seed,
      IUpdater updater, double weightDecay) {
    String cut = architecture.lastFeatureLayer();
    GraphBuilder b = builder(seed, updater, weightDecay,
        InputType.convolutional(inputSize, inputSize, 3));
    int c = architecture.addFeatures(b, INPUT, cut, pretrained);
    head(b, cut, c, classes, dropout);
    return init(b, pretrained);
  }

  private ComputationGraph init(GraphBuilder b) {
    return init(b, true);
  }

  /** @param load true: load the pretrained weights into every layer but the new head's */
  private ComputationGraph init(GraphBuilder b, boolean load) {
    ComputationGraph g = new ComputationGraph(b.validateOutputLayerConfig(false).build());
    g.init();
    if (load) {
      KerasWeightLoader.load(g, architecture.graphWeights(weights), pretrained(g),
          architecture::batchNormOf,
          architecture.batchNormEpsilon());
    }
    return g;
  }
}
