package dev.kiln.maven.export;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Fixtures;
import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.engine.Dl4jSetup;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.api.Layer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Exporter parity, one supported layer type at a time, on random weights and inputs. */
class OnnxExporterTest {

  static {
    Dl4jSetup.init();
  }

  static final int C = 3;
  static final int S = 16;

  static ComputationGraph graph(Function<GraphBuilder, String> body) {
    GraphBuilder b = new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.FLOAT)
        .graphBuilder().addInputs("input").setInputTypes(InputType.convolutional(S, S, C));
    String out = body.apply(b);
    b.setOutputs(out);
    ComputationGraph g = new ComputationGraph(b.validateOutputLayerConfig(false).build());
    g.init();
    // randomise every parameter, including BatchNorm statistics (variance kept positive)
    Random r = new Random(11);
    for (Layer l : g.getLayers()) {
      for (Map.Entry<String, INDArray> p : l.paramTable().entrySet()) {
        INDArray a = p.getValue();
        for (long i = 0; i < a.length(); i++) {
          double v = r.nextGaussian() * 0.5;
          if (p.getKey().equals("var")) {
            v = 0.5 + Math.abs(v);
          }
          a.putScalar(i, v);
        }
      }
    }
    return g;
  }

  static ParityChecker.Result parity(ComputationGraph g, Preprocessing normalization) {
    Random r = new Random(3);
    int n = 2;
    float[] raw = new float[n * C * S * S];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = normalization == null ? (float) r.nextGaussian() : r.nextInt(256);
    }
    float[] net = raw.clone();
    if (normalization != null) {
      float a = normalization.scale() / normalization.std()[0];
      float b = -normalization.mean()[0] / normalization.std()[0];
      for (int i = 0; i < net.length; i++) {
        net[i] = net[i] * a + b;
      }
    }
    OnnxExporter.Options options = new OnnxExporter.Options(normalization, Map.of("k", "v"),
        "output");
    byte[] onnx = OnnxExporter.export(g, new long[] {C, S, S}, options);
    return ParityChecker.check(g, Nd4j.create(net, new long[] {n, C, S, S}, 'c'), onnx, raw,
        options, 1e-4);
  }

  static void assertParity(ComputationGraph g) {
    ParityChecker.Result r = parity(g, null);
    assertTrue(r.passed(1e-4), "max abs diff " + r.maxAbsDiff() + " at " + r.divergingLayer());
  }

  @Test
  void convolutionSameWithBiasAndRelu() {
    assertParity(graph(b -> {
      b.addLayer("conv", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(5)
          .convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build(), "input");
      return "conv";
    }));
  }

  @Test
  void convolutionTruncateWithPaddingNoBias() {
    assertParity(graph(b -> {
      b.addLayer("conv", new ConvolutionLayer.Builder(3, 3).stride(1, 1).padding(1, 1).nOut(4)
          .hasBias(false).convolutionMode(ConvolutionMode.Truncate)
          .activation(Activation.TANH).build(), "input");
      return "conv";
    }));
  }

  @Test
  void depthwiseConvolution() {
    assertParity(graph(b -> {
      b.addLayer("dw", new DepthwiseConvolution2D.Builder(3, 3).stride(2, 2).depthMultiplier(2)
          .nIn(C).nOut(2 * C).convolutionMode(ConvolutionMode.Same)
          .activation(Activation.IDENTITY).build(), "input");
      return "dw";
    }));
  }

  @Test
  void batchNormalizationWithVarianceAndLogStd() {
    for (boolean logStd : new boolean[] {false, true}) {
      assertParity(graph(b -> {
        b.addLayer("bn", new BatchNormalization.Builder().eps(1e-3).useLogStd(logStd).build(),
            "input");
        return "bn";
      }));
    }
  }

  @Test
  void relu6ActivationLayer() {
    assertParity(graph(b -> {
      b.addLayer("conv", new ConvolutionLayer.Builder(1, 1).nOut(4).activation(Activation.IDENTITY)
          .build(), "input");
      b.addLayer("relu6", new ActivationLayer.Builder().activation(Activation.RELU6).build(), "conv");
      return "relu6";
    }));
  }

  @Test
  void subsamplingAndGlobalPooling() {
    for (PoolingType type : new PoolingType[] {PoolingType.AVG, PoolingType.MAX}) {
      assertParity(graph(b -> {
        b.addLayer("pool", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2)
            .stride(2, 2).build(), "input");
        b.addLayer("gp", new GlobalPoolingLayer.Builder(type).build(), "pool");
        return "gp";
      }));
    }
  }

  @Test
  void denseDropoutAndSoftmaxOutput() {
    assertParity(graph(b -> {
      b.addLayer("gp", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "input");
      b.addLayer("dense", new DenseLayer.Builder().nOut(6).activation(Activation.SIGMOID).build(),
          "gp");
      b.addLayer("drop", new DropoutLayer.Builder(0.5).build(), "dense");
      b.addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4)
          .activation(Activation.SOFTMAX).build(), "drop");
      return "out";
    }));
  }

  @Test
  void denseAfterConvolutionFlattens() {
    assertParity(graph(b -> {
      b.addLayer("conv", new ConvolutionLayer.Builder(3, 3).stride(4, 4).nOut(2)
          .activation(Activation.LEAKYRELU).build(), "input");
      b.addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
          .activation(Activation.SOFTMAX).build(), "conv");
      return "out";
    }));
  }

  @Test
  void normalisationInsideTheGraph() {
    ComputationGraph g = graph(b -> {
      b.addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4)
          .convolutionMode(ConvolutionMode.Same).build(), "input");
      return "conv";
    });
    ParityChecker.Result r = parity(g, Preprocessing.minusOneToOne(S, Preprocessing.Layout.NCHW));
    assertTrue(r.passed(1e-4), "max abs diff " + r.maxAbsDiff());
  }

  @Test
  void unsupportedLayerIsNamed() {
    ComputationGraph g = graph(b -> {
      b.addLayer("lrn", new LocalResponseNormalization.Builder().build(), "input");
      return "lrn";
    });
    UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
        () -> OnnxExporter.export(g, new long[] {C, S, S},
            new OnnxExporter.Options(null, Map.of(), "output")));
    assertTrue(e.getMessage().contains("'lrn'") && e.getMessage().contains("LocalResponse"),
        e.getMessage());
  }

  @Test
  void divergingLayerIsNamed() {
    ComputationGraph g = graph(b -> {
      b.addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4)
          .convolutionMode(ConvolutionMode.Same).build(), "input");
      b.addLayer("relu6", new ActivationLayer.Builder().activation(Activation.RELU6).build(), "conv");
      return "relu6";
    });
    Random r = new Random(1);
    float[] x = new float[C * S * S];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    OnnxExporter.Options o = new OnnxExporter.Options(null, Map.of(), "output");
    byte[] onnx = OnnxExporter.export(g, new long[] {C, S, S}, o);
    // perturb DL4J's copy of the conv weights after export: the conv layer must be blamed
    g.getLayer("conv").getParam("W").addi(0.5);
    ParityChecker.Result res = ParityChecker.check(g, Nd4j.create(x, new long[] {1, C, S, S}, 'c'),
        onnx, x, o, 1e-4);
    assertTrue(!res.passed(1e-4));
    assertTrue(res.divergingLayer().startsWith("conv (ConvolutionLayer"), res.divergingLayer());
  }

  /** The whole pretrained MobileNet v1 with its ImageNet top, on real photos. */
  @Test
  void fullMobileNetWithImagenetTop() throws Exception {
    Backbone backbone = BackboneResolver.resolve(Fixtures.mobilenetTfjs().toString(),
        Path.of("."), 224);
    ComputationGraph g = backbone.imagenetClassifier();
    Preprocessing raw = Preprocessing.raw(224, Preprocessing.Resize.STRETCH);
    Path[] photos = {
        Fixtures.hymenoptera().resolve("val/ants/1053149811_f62a3410d3.jpg"),
        Fixtures.hymenoptera().resolve("val/bees/1032546534_06907fe3b3.jpg")};
    float[] rawBatch = new float[2 * raw.tensorSize()];
    float[] netBatch = new float[2 * raw.tensorSize()];
    for (int i = 0; i < photos.length; i++) {
      var fitted = Preprocessor.load(photos[i], raw);
      Preprocessor.writeTensor(fitted, raw, rawBatch, i * raw.tensorSize());
      Preprocessor.writeTensor(fitted, backbone.normalization(), netBatch, i * raw.tensorSize());
    }
    OnnxExporter.Options o = new OnnxExporter.Options(backbone.normalization(), Map.of(),
        "probabilities");
    byte[] onnx = OnnxExporter.export(g, new long[] {3, 224, 224}, o);
    ParityChecker.Result r = ParityChecker.check(g,
        Nd4j.create(netBatch, new long[] {2, 3, 224, 224}, 'c'), onnx, rawBatch, o, 1e-4);
    assertTrue(r.passed(1e-4), "max abs diff " + r.maxAbsDiff() + " at " + r.divergingLayer());
    assertNull(r.divergingLayer());
  }
}
