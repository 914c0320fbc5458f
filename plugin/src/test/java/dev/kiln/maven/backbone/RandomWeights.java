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
    GraphBuilder b = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
        .updater(new Adam(1e-3)).weightInit(WeightInit.RELU).graphBuilder()
        .addInputs(Backbone.INPUT)
        .setInputTypes(InputType.convolutional(inputSize, inputSize, 3));
    arch.addFeatures(b, Backbone.INPUT, arch.lastFeatureLayer(), false);
    b.setOutputs(arch.lastFeatureLayer());
    ComputationGraph g = new ComputationGraph(b.build());
    g.init();
    Map<String, WeightTensor> w = new LinkedHashMap<>();
    java.util.Random r = new java.util.Random(seed);
    for (Layer l : g.getLayers()) {
      String name = l.conf().getLayer().getLayerName();
      var conf = l.conf().getLayer();
      if (conf instanceof DepthwiseConvolution2D) {
        put(w, name + "/depthwise_kernel", l.getParam("W")); // [kH, kW, in, mult] in both
        bias(w, name, l);
      } else if (conf instanceof ConvolutionLayer) {
        put(w, name + "/kernel", l.getParam("W").permute(2, 3, 1, 0)); // → [kH, kW, in, out]
        bias(w, name, l);
      } else if (conf instanceof BatchNormalization) {
        long n = l.getParam("gamma").length();
        float[][] p = new float[4][(int) n];
        for (int i = 0; i < n; i++) {
          p[0][i] = (float) (1 + 0.1 * r.nextGaussian());
          p[1][i] = (float) (0.1 * r.nextGaussian());
          p[2][i] = (float) (0.1 * r.nextGaussian());
          p[3][i] = (float) (1 + 0.2 * Math.abs(r.nextGaussian()));
        }
        String[] keys = {"gamma", "beta", "moving_mean", "moving_variance"};
        for (int k = 0; k < 4; k++) {
          w.put(name + "/" + keys[k], new WeightTensor(new long[] {n}, p[k]));
        }
      }
    }
    return new Backbone("random:" + arch.id(), "0".repeat(64), arch, inputSize, w);
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
