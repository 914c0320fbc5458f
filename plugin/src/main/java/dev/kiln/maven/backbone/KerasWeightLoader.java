package dev.kiln.maven.backbone;

import java.util.Arrays;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Copies Keras weights into a DL4J graph by layer name, converting axis orders:
 * conv kernels {@code [kH,kW,in,out]} → {@code [out,in,kH,kW]}; depthwise kernels keep
 * {@code [kH,kW,in,mult]}; dense kernels {@code [in,out]} (or 1×1 conv kernels) stay
 * {@code [in,out]}; BatchNorm moving statistics go to {@code mean}/{@code var}.
 */
final class KerasWeightLoader {

  private KerasWeightLoader() {}

  /**
   * @param graph the initialised graph
   * @param weights Keras weights by name
   * @param upTo layers whose names are in this set must receive weights; others are skipped
   * @throws IllegalArgumentException naming the layer when weights are missing or mis-shaped
   */
  static void load(ComputationGraph graph, Map<String, WeightTensor> weights,
      java.util.Set<String> upTo) {
    load(graph, weights, upTo, conv -> conv + "_bn", BN_EPSILON);
  }

  /**
   * @param batchNormOf the family's rule from a convolution's name to its BatchNorm's
   */
  static void load(ComputationGraph graph, Map<String, WeightTensor> weights,
      java.util.Set<String> upTo, java.util.function.UnaryOperator<String> batchNormOf,
      double epsilon) {
    java.util.Map<String, org.deeplearning4j.nn.conf.layers.Layer> confs =
        new java.util.HashMap<>();
    for (Layer layer : graph.getLayers()) {
      confs.put(layer.conf().getLayer().getLayerName(), layer.conf().getLayer());
    }
    java.util.Set<String> names = confs.keySet();
    for (Layer layer : graph.getLayers()) {
      String name = layer.conf().getLayer().getLayerName();
      if (!upTo.contains(name)) {
        continue;
      }
      org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
      if (conf instanceof DepthwiseConvolution2D && !weights.containsKey(name + "/depthwise_kernel")
          && weights.containsKey(name + "/moving_mean")) {
        affine(layer, weights, name, epsilon); // a BatchNorm in frozen form
      } else if (conf instanceof DepthwiseConvolution2D && weights.containsKey(name + "/mean")
          && weights.containsKey(name + "/variance")) {
        normalization(layer, weights, name); // Keras' Normalization layer (EfficientNet's input)
      } else if (conf instanceof DepthwiseConvolution2D) {
        set(layer, "W", require(weights, name + "/depthwise_kernel"), false);
        setBiasIfAny(layer, weights, name);
        foldIfNeeded(layer, weights, name, batchNormOf.apply(name), names, 2, epsilon);
      } else if (conf instanceof ConvolutionLayer) {
        WeightTensor k = require(weights, name + "/kernel");
        INDArray arr = Nd4j.create(k.data(), k.shape(), 'c').permute(3, 2, 0, 1).dup('c');
        assign(layer, "W", arr);
        setBiasIfAny(layer, weights, name);
        foldIfNeeded(layer, weights, name, batchNormOf.apply(name), names, 0, epsilon);
        shiftIfLocked(layer, weights, name, batchNormOf.apply(name), confs, epsilon);
      } else if (conf instanceof BatchNormalization) {
        if (layer.paramTable().containsKey("gamma")) { // else locked: see shiftIfLocked
          set(layer, "gamma", gamma(weights, name), true);
          set(layer, "beta", require(weights, name + "/beta"), true);
        }
        set(layer, "mean", require(weights, name + "/moving_mean"), true);
        set(layer, "var", require(weights, name + "/moving_variance"), true);
      } else if (conf instanceof FeedForwardLayer && weights.containsKey(name + "/kernel")) {
        WeightTensor k = weights.get(name + "/kernel");
        long out = k.shape()[k.shape().length - 1];
        assign(layer, "W", Nd4j.create(k.data(), new long[] {k.data().length / out, out}, 'c'));
        setBiasIfAny(layer, weights, name);
      }
    }
  }

  /** Keras' MobileNet BatchNorm epsilon. */
  static final double BN_EPSILON = 1e-3;

  /**
   * When the graph has no {@code <name>_bn} layer but the weights do, folds that BatchNorm (as
   * in inference) into this convolution: {@code W·s} and bias {@code β − μ·s}, {@code s =
   * γ/√(var+ε)}, per output channel (axis {@code channelAxis} of W).
   */
  private static void foldIfNeeded(Layer layer, Map<String, WeightTensor> weights, String name,
      String bn, java.util.Set<String> graphLayers, int channelAxis, double epsilon) {
    if (graphLayers.contains(bn) || !weights.containsKey(bn + "/moving_mean")) {
      return;
    }
    if (!layer.paramTable().containsKey("b")) {
      throw new IllegalArgumentException("layer " + name + " needs a bias to fold " + bn);
    }
    float[] gamma = gamma(weights, bn).data();
    float[] beta = require(weights, bn + "/beta").data();
    float[] mean = require(weights, bn + "/moving_mean").data();
    float[] var = require(weights, bn + "/moving_variance").data();
    INDArray w = layer.getParam("W");
    long[] shape = w.shape();
    long stride = 1;
    for (int i = channelAxis + 1; i < shape.length; i++) {
      stride *= shape[i];
    }
    double[] scale = new double[gamma.length];
    float[] bias = new float[gamma.length];
    float[] own = layer.getParam("b").dup('c').data().asFloat(); // the convolution's own bias
    for (int c = 0; c < gamma.length; c++) {
      scale[c] = gamma[c] / Math.sqrt(var[c] + epsilon);
      bias[c] = (float) (beta[c] + (own[c] - mean[c]) * scale[c]);
    }
    float[] values = w.dup('c').data().asFloat();
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (values[i] * scale[(int) ((i / stride) % shape[channelAxis])]);
    }
    w.assign(Nd4j.create(values, shape, 'c'));
    INDArray b = layer.getParam("b");
    b.assign(Nd4j.create(bias, b.shape(), 'c'));
  }

  /**
   * A BatchNorm without γ (Keras' {@code scale=False}) is, in the unfolded form, a DL4J
   * BatchNormalization with γ and β locked to 1 and 0 after a biased convolution: its shift β
   * goes into that bias as {@code β·√(var+ε)}, so that {@code (conv + b − μ)/√(var+ε)} is
   * Keras' {@code (conv − μ)/√(var+ε) + β}.
   */
  private static void shiftIfLocked(Layer layer, Map<String, WeightTensor> weights, String name,
      String bn, Map<String, org.deeplearning4j.nn.conf.layers.Layer> graphLayers,
      double epsilon) {
    if (!(graphLayers.get(bn) instanceof BatchNormalization conf) || !conf.isLockGammaBeta()) {
      return;
    }
    if (weights.containsKey(bn + "/gamma")) {
      throw new IllegalArgumentException("the weights give BatchNorm " + bn + " a scale (gamma),"
          + " which this architecture's BatchNorm has not; the weights file does not match it");
    }
    if (!layer.paramTable().containsKey("b")) {
      throw new IllegalArgumentException("layer " + name + " needs a bias to hold the shift of "
          + bn);
    }
    float[] beta = require(weights, bn + "/beta").data();
    float[] var = require(weights, bn + "/moving_variance").data();
    INDArray b = layer.getParam("b");
    float[] bias = b.dup('c').data().asFloat();
    for (int c = 0; c < bias.length; c++) {
      bias[c] = (float) (bias[c] + beta[c] * Math.sqrt(var[c] + conf.getEps()));
    }
    b.assign(Nd4j.create(bias, b.shape(), 'c'));
  }

  /** @return the BatchNorm's γ, or ones where Keras has none ({@code scale=False}) */
  private static WeightTensor gamma(Map<String, WeightTensor> weights, String bn) {
    WeightTensor gamma = weights.get(bn + "/gamma");
    if (gamma != null) {
      return gamma;
    }
    WeightTensor beta = require(weights, bn + "/moving_mean");
    float[] ones = new float[beta.data().length];
    java.util.Arrays.fill(ones, 1f);
    return new WeightTensor(beta.shape(), ones);
  }

  /**
   * Fills a 1×1 depthwise convolution (see {@code FamilyParts.frozenBatchNorm}) with the BatchNorm
   * {@code name} in inference form: weight {@code s = γ/√(var+ε)}, bias {@code β − μ·s}.
   */
  private static void affine(Layer layer, Map<String, WeightTensor> weights, String name,
      double epsilon) {
    float[] gamma = gamma(weights, name).data();
    float[] beta = require(weights, name + "/beta").data();
    float[] mean = require(weights, name + "/moving_mean").data();
    float[] var = require(weights, name + "/moving_variance").data();
    float[] scale = new float[gamma.length];
    float[] shift = new float[gamma.length];
    for (int c = 0; c < gamma.length; c++) {
      double s = gamma[c] / Math.sqrt(var[c] + epsilon);
      scale[c] = (float) s;
      shift[c] = (float) (beta[c] - mean[c] * s);
    }
    // W is [kH=1, kW=1, channels, multiplier=1]; set by name: setParams(flat) mis-orders W and b
    assign(layer, "W", Nd4j.create(scale, new long[] {1, 1, gamma.length, 1}, 'c'));
    INDArray b = layer.getParam("b");
    assign(layer, "b", Nd4j.create(shift, b.shape(), 'c'));
  }

  /**
   * Fills a 1×1 depthwise convolution with a Keras Normalization layer: weight {@code
   * 1/max(√variance, 1e-7)}, bias {@code −mean} times that (Keras' own formula).
   */
  private static void normalization(Layer layer, Map<String, WeightTensor> weights,
      String name) {
    float[] mean = require(weights, name + "/mean").data();
    float[] var = require(weights, name + "/variance").data();
    float[] scale = new float[mean.length];
    float[] shift = new float[mean.length];
    for (int c = 0; c < mean.length; c++) {
      double s = 1 / Math.max(Math.sqrt(var[c]), 1e-7);
      scale[c] = (float) s;
      shift[c] = (float) (-mean[c] * s);
    }
    assign(layer, "W", Nd4j.create(scale, new long[] {1, 1, mean.length, 1}, 'c'));
    INDArray b = layer.getParam("b");
    assign(layer, "b", Nd4j.create(shift, b.shape(), 'c'));
  }

  private static void setBiasIfAny(Layer layer, Map<String, WeightTensor> weights, String name) {
    WeightTensor b = weights.get(name + "/bias");
    if (b != null && layer.paramTable().containsKey("b")) {
      set(layer, "b", b, true);
    }
  }

  private static WeightTensor require(Map<String, WeightTensor> weights, String key) {
    WeightTensor t = weights.get(key);
    if (t == null) {
      throw new IllegalArgumentException("the weights file has no '" + key
          + "'; it does not match this architecture (or alpha)");
    }
    return t;
  }

  private static void set(Layer layer, String param, WeightTensor t, boolean vector) {
    INDArray target = layer.getParam(param);
    INDArray arr = vector ? Nd4j.create(t.data(), target.shape(), 'c')
        : Nd4j.create(t.data(), t.shape(), 'c');
    assign(layer, param, arr);
  }

  private static void assign(Layer layer, String param, INDArray value) {
    INDArray target = layer.getParam(param);
    if (!Arrays.equals(target.shape(), value.shape())) {
      throw new IllegalArgumentException("layer " + layer.conf().getLayer().getLayerName() + " "
          + param + " has shape " + Arrays.toString(target.shape()) + " but the weights are "
          + Arrays.toString(value.shape()) + "; the weights file does not match this architecture");
    }
    target.assign(value);
  }
}
