package dev.kiln.maven.backbone;

import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Keras-layout weights for a family without a weights fixture: the family's graph initialised at
 * random (He init, seeded; BatchNorm statistics drawn near 0 and 1), converted back to Keras'
 * axis order, so the normal load path (names, layout, BatchNorm folding) is exercised.
 */
final class RandomWeights {

  private RandomWeights() {}

  static Backbone of(Architecture arch, int inputSize, long seed) {
    return new Backbone("random:" + arch.id(), "0".repeat(64), arch, inputSize,
        weights(arch, inputSize, seed));
  }

  /**
   * @param arch the family
   * @param inputSize the size the BatchNorm statistics are calibrated at (the weights' shapes do
   *     not depend on it)
   * @param seed the random seed
   * @return the weights by Keras name, in the layers' order
   */
  static Map<String, WeightTensor> weights(Architecture arch, int inputSize, long seed) {
    GraphBuilder b = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
        .updater(new Adam(1e-3)).weightInit(WeightInit.RELU).graphBuilder()
        .addInputs(Backbone.INPUT)
        .setInputTypes(InputType.convolutional(inputSize, inputSize, 3));
    arch.addFeatures(b, Backbone.INPUT, arch.lastFeatureLayer(), false);
    b.setOutputs(arch.lastFeatureLayer());
    ComputationGraph g = new ComputationGraph(b.build());
    g.init();
    normalizationAsKeras(g);
    calibrate(g, inputSize, new java.util.Random(seed));
    Map<String, WeightTensor> w = new LinkedHashMap<>();
    java.util.Set<String> locked = new java.util.HashSet<>();
    for (Layer l : g.getLayers()) {
      if (l.conf().getLayer() instanceof BatchNormalization bn && bn.isLockGammaBeta()) {
        locked.add(bn.getLayerName());
      }
    }
    for (Layer l : g.getLayers()) {
      String name = l.conf().getLayer().getLayerName();
      var conf = l.conf().getLayer();
      if (name.equals(NORMALIZATION) && conf instanceof DepthwiseConvolution2D) {
        // EfficientNet's in-model Normalization: the statistics Keras' ImageNet files hold
        w.put(name + "/mean", new WeightTensor(new long[] {3}, IMAGENET_MEAN.clone()));
        w.put(name + "/variance", new WeightTensor(new long[] {3}, IMAGENET_STD.clone()));
        w.put(name + "/count", new WeightTensor(new long[] {1}, new float[] {0}));
      } else if (conf instanceof DepthwiseConvolution2D) {
        put(w, name + "/depthwise_kernel", l.getParam("W")); // [kH, kW, in, mult] in both
        bias(w, name, l);
      } else if (conf instanceof ConvolutionLayer) {
        put(w, name + "/kernel", l.getParam("W").permute(2, 3, 1, 0)); // → [kH, kW, in, out]
        if (!locked.contains(arch.batchNormOf(name))) {
          bias(w, name, l); // Keras' conv2d_bn has none (its bias holds the BatchNorm's shift)
        }
      } else if (conf instanceof BatchNormalization bn && bn.isLockGammaBeta()) {
        // Keras' scale=False BatchNorm: β, mean, variance; a random β near 0
        put(w, name + "/moving_mean", l.getParam("mean"));
        put(w, name + "/moving_variance", l.getParam("var"));
        float[] beta = new float[(int) l.getParam("mean").length()];
        for (int i = 0; i < beta.length; i++) {
          beta[i] = (float) (0.1 * Math.cos(i));
        }
        w.put(name + "/beta", new WeightTensor(new long[] {beta.length}, beta));
      } else if (conf instanceof BatchNormalization) {
        String[] keys = {"gamma", "beta", "moving_mean", "moving_variance"};
        String[] params = {"gamma", "beta", "mean", "var"};
        for (int k = 0; k < 4; k++) {
          put(w, name + "/" + keys[k], l.getParam(params[k]));
        }
      }
    }
    return w;
  }

  private static final String NORMALIZATION = "normalization";
  private static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
  private static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

  /**
   * A Keras Normalization layer (EfficientNet's input) as the loader will fill it from Keras'
   * ImageNet statistics (variance = std, then Keras' Rescaling(1/√std): together (x − μ)/std),
   * so that the statistics below are calibrated on what the loaded network computes.
   */
  private static void normalizationAsKeras(ComputationGraph g) {
    if (!g.getConfiguration().getVertices().containsKey(NORMALIZATION)) {
      return;
    }
    Layer l = g.getLayer(NORMALIZATION);
    float[] scale = new float[3];
    float[] shift = new float[3];
    for (int c = 0; c < 3; c++) {
      scale[c] = 1 / IMAGENET_STD[c];
      shift[c] = -IMAGENET_MEAN[c] / IMAGENET_STD[c];
    }
    l.getParam("W").assign(Nd4j.create(scale, new long[] {1, 1, 3, 1}, 'c'));
    l.getParam("b").assign(Nd4j.create(shift, l.getParam("b").shape(), 'c'));
  }

  /**
   * Gives every BatchNorm random γ, β near 1 and 0 and, as training would, the moving mean and
   * variance of its input on a batch of images in [-1, 1] ([0, 1] before an in-model
   * Normalization: EfficientNet) — so that activations stay of order 1
   * through the whole network, as in a trained one (statistics drawn at random let them grow
   * block after block, and float32 rounding then looks like an export error).
   */
  private static void calibrate(ComputationGraph g, int size, java.util.Random r) {
    boolean inModel = g.getConfiguration().getVertices().containsKey(NORMALIZATION);
    var mgr = org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces();
    org.deeplearning4j.nn.graph.vertex.GraphVertex[] vertices = g.getVertices();
    Map<String, INDArray> out = new java.util.HashMap<>();
    float[] pixels = new float[8 * 3 * size * size];
    for (int i = 0; i < pixels.length; i++) {
      // in the graph's input range: [0, 1] before an in-model Normalization, else [-1, 1]
      pixels[i] = inModel ? r.nextFloat() : r.nextFloat() * 2 - 1;
    }
    for (int idx : g.topologicalSortOrder()) {
      var v = vertices[idx];
      if (v.isInputVertex()) {
        out.put(v.getVertexName(),
            org.nd4j.linalg.factory.Nd4j.create(pixels, new long[] {8, 3, size, size}, 'c'));
        continue;
      }
      var from = v.getInputVertices();
      for (int j = 0; j < from.length; j++) {
        v.setInput(j, out.get(vertices[from[j].getVertexIndex()].getVertexName()).dup(), mgr);
      }
      if (v.hasLayer() && v.getLayer().conf().getLayer() instanceof BatchNormalization) {
        Layer l = v.getLayer();
        INDArray in = out.get(vertices[from[0].getVertexIndex()].getVertexName());
        long n = l.getParam("mean").length();
        float[] gamma = new float[(int) n];
        float[] beta = new float[(int) n];
        for (int i = 0; i < n; i++) {
          gamma[i] = (float) (1 + 0.1 * r.nextGaussian());
          beta[i] = (float) (0.1 * r.nextGaussian());
        }
        if (l.paramTable().containsKey("gamma")) { // else locked: Keras' scale=False
          l.setParam("gamma", org.nd4j.linalg.factory.Nd4j.create(gamma, l.getParam("gamma").shape(), 'c'));
          l.setParam("beta", org.nd4j.linalg.factory.Nd4j.create(beta, l.getParam("beta").shape(), 'c'));
        }
        l.setParam("mean", in.mean(0, 2, 3).reshape(l.getParam("mean").shape()));
        l.setParam("var", in.var(false, 0, 2, 3).addi(1e-3).reshape(l.getParam("var").shape()));
      }
      out.put(v.getVertexName(), v.doForward(false, mgr).dup());
      v.clear();
    }
  }

  private static void bias(Map<String, WeightTensor> w, String name, Layer l) {
    if (l.paramTable().containsKey("b")) {
      INDArray b = l.getParam("b");
      float[] v = new float[(int) b.length()];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (0.01 * Math.sin(i));
      }
      w.put(name + "/bias", new WeightTensor(new long[] {v.length}, v));
    }
  }

  private static void put(Map<String, WeightTensor> w, String key, INDArray a) {
    INDArray c = a.dup('c');
    w.put(key, new WeightTensor(c.shape(), c.data().asFloat()));
  }
}
