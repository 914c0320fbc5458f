package dev.kiln.maven.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.blocks.ActivationHardSwish;
import dev.kiln.maven.blocks.ChannelScaleVertex;
import dev.kiln.onnx.OnnxProto;
import java.util.Map;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.ReshapeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The vertex kinds the next families need (DenseNet's pre-activation BatchNorm and
 * concatenations, EfficientNet's swish and squeeze-and-excite, MobileNetV3's hard-swish and
 * hard sigmoid (DL4J's and ONNX's with any slope), Reshape), in one small random network:
 * export parity, correct gradients of the new blocks (so {@code fine-tune} can train them), and a parity diagnosis that names a
 * non-layer vertex when it is the one that diverges.
 */
class VertexKindsTest {

  private static final int SIZE = 12;

  static ComputationGraph network(DataType type) {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(3).dataType(type).updater(new NoOp()).weightInit(WeightInit.XAVIER)
        .convolutionMode(ConvolutionMode.Same)
        .graphBuilder()
        .addInputs("input")
        .setInputTypes(InputType.convolutional(SIZE, SIZE, 3))
        .addLayer("stem", new ConvolutionLayer.Builder(3, 3).nOut(8)
            .activation(Activation.IDENTITY).build(), "input")
        .addLayer("pre_bn", new BatchNormalization.Builder().nOut(8).useLogStd(false).build(), "stem")
        .addLayer("pre_relu", new ActivationLayer(Activation.RELU), "pre_bn")
        .addLayer("conv_a", new ConvolutionLayer.Builder(1, 1).nOut(8)
            .activation(Activation.SWISH).build(), "pre_relu")
        .addVertex("concat", new MergeVertex(), "stem", "conv_a")
        .addLayer("se_squeeze", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "concat")
        .addVertex("se_reshape", new ReshapeVertex('c', new int[] {-1, 16, 1, 1}, null),
            "se_squeeze")
        .addLayer("se_reduce", new ConvolutionLayer.Builder(1, 1).nOut(4)
            .activation(Activation.SWISH).build(), "se_reshape")
        .addLayer("se_expand", new ConvolutionLayer.Builder(1, 1).nOut(16)
            .activation(Activation.SIGMOID).build(), "se_reduce")
        .addVertex("se_excite", new ChannelScaleVertex(), "concat", "se_expand")
        .addLayer("hswish", new ActivationLayer(new ActivationHardSwish()), "se_excite")
        .addLayer("hsig", new ActivationLayer(Activation.HARDSIGMOID), "hswish")
        .addLayer("hsig6", new ActivationLayer(
            new dev.kiln.maven.blocks.ActivationScaledHardSigmoid(1.0 / 6, 0.5)), "hsig")
        .addVertex("residual", new ElementWiseVertex(ElementWiseVertex.Op.Add), "hsig6", "concat")
        .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "residual")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
            .activation(Activation.SOFTMAX).build(), "pool")
        .setOutputs("out")
        .build();
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    // statistics that are not the identity, so BatchNorm's inference form matters
    var bn = net.getLayer("pre_bn");
    bn.setParam("mean", Nd4j.rand(type, 1, 8).subi(0.5));
    bn.setParam("var", Nd4j.rand(type, 1, 8).addi(0.5));
    bn.setParam("gamma", Nd4j.rand(type, 1, 8).addi(0.5));
    bn.setParam("beta", Nd4j.rand(type, 1, 8).subi(0.5));
    return net;
  }

  private static INDArray input(DataType type) {
    Nd4j.getRandom().setSeed(11);
    return Nd4j.rand(type, 2, 3, SIZE, SIZE).muli(4).subi(2);
  }

  @Test
  void everyVertexKindExportsWithParity() {
    ComputationGraph net = network(DataType.FLOAT);
    INDArray x = input(DataType.FLOAT);
    var options = new OnnxExporter.Options(null, Map.of(), "probabilities");
    byte[] onnx = OnnxExporter.export(net, new long[] {3, SIZE, SIZE}, options);
    ParityChecker.Result r = ParityChecker.check(net, x, onnx, x.dup('c').data().asFloat(),
        options, ParityChecker.TOLERANCE);
    assertTrue(r.passed(ParityChecker.TOLERANCE), "max abs diff " + r.maxAbsDiff());
    assertNull(r.divergingLayer());
  }

  @Test
  void hardSwishAndChannelScaleHaveCorrectGradients() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    try {
      ComputationGraph net = network(DataType.DOUBLE);
      INDArray labels = Nd4j.zeros(DataType.DOUBLE, 2, 3);
      labels.putScalar(0, 1, 1.0);
      labels.putScalar(1, 2, 1.0);
      boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig()
          .net(net).inputs(new INDArray[] {input(DataType.DOUBLE)})
          .labels(new INDArray[] {labels})
          .epsilon(1e-6).maxRelError(1e-3).minAbsoluteError(1e-8)
          // BatchNorm in training mode normalises by the batch: its mean/var are not trained
          .excludeParams(java.util.Set.of("pre_bn_mean", "pre_bn_var")));
      assertTrue(ok, "analytic and numeric gradients differ (see the log)");
    } finally {
      Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }
  }

  @Test
  void diagnosisNamesTheDivergingVertexEvenWithoutALayer() throws Exception {
    ComputationGraph net = network(DataType.FLOAT);
    INDArray x = input(DataType.FLOAT);
    var options = new OnnxExporter.Options(null, Map.of(), "probabilities");
    OnnxProto.ModelProto model = OnnxExporter.build(net, new long[] {3, SIZE, SIZE}, options);
    // break the channel scale: Add instead of Mul
    OnnxProto.GraphProto.Builder graph = model.getGraph().toBuilder();
    for (OnnxProto.NodeProto.Builder n : graph.getNodeBuilderList()) {
      if (n.getName().equals("se_excite")) {
        assertEquals("Mul", n.getOpType());
        n.setOpType("Add");
      }
    }
    byte[] broken = model.toBuilder().setGraph(graph).build().toByteArray();
    ParityChecker.Result r = ParityChecker.check(net, x, broken, x.dup('c').data().asFloat(),
        options, ParityChecker.TOLERANCE);
    assertTrue(r.divergingLayer().startsWith("se_excite (ChannelScale"), r.divergingLayer());
  }
}
