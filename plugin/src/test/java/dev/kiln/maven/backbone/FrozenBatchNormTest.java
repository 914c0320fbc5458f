package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.export.OnnxExporter;
import dev.kiln.maven.export.ParityChecker;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A DenseNet-style block — concatenation, then a BatchNorm with no convolution before it
 * (pre-activation), ReLU, convolution — with Keras weights: the frozen form of that BatchNorm
 * (a per-channel affine, {@link FamilyParts#frozenBatchNorm}) computes what the real BatchNorm
 * computes in inference mode, with DenseNet's ε 1.001e-5, and exports with parity.
 */
class FrozenBatchNormTest {

  private static final double EPSILON = 1.001e-5;

  private static ComputationGraph block(boolean frozen) {
    var b = new NeuralNetConfiguration.Builder().seed(1).convolutionMode(ConvolutionMode.Same)
        .graphBuilder().addInputs("input").setInputTypes(InputType.convolutional(8, 8, 3))
        .addLayer("conv0", new ConvolutionLayer.Builder(3, 3).nOut(4).hasBias(false)
            .activation(Activation.IDENTITY).build(), "input")
        .addVertex("concat", new MergeVertex(), "input", "conv0");
    if (frozen) {
      b.addLayer("pre_bn", FamilyParts.frozenBatchNorm("pre_bn", 7), "concat");
    } else {
      b.addLayer("pre_bn", new BatchNormalization.Builder().nOut(7).eps(EPSILON)
          .useLogStd(false).build(), "concat");
    }
    b.addLayer("pre_relu", new ActivationLayer(Activation.RELU), "pre_bn")
        .addLayer("conv1", new ConvolutionLayer.Builder(1, 1).nOut(5).hasBias(false)
            .activation(Activation.IDENTITY).build(), "pre_relu")
        .setOutputs("conv1");
    ComputationGraph g = new ComputationGraph(b.build());
    g.init();
    return g;
  }

  private static Map<String, WeightTensor> kerasWeights() {
    Random r = new Random(5);
    Map<String, WeightTensor> w = new HashMap<>();
    w.put("conv0/kernel", random(r, 0, 3, 3, 3, 4));
    w.put("conv1/kernel", random(r, 0, 1, 1, 7, 5));
    w.put("pre_bn/gamma", random(r, 1, 7));
    w.put("pre_bn/beta", random(r, 0, 7));
    w.put("pre_bn/moving_mean", random(r, 0, 7));
    WeightTensor var = random(r, 0, 7);
    for (int i = 0; i < 7; i++) {
      var.data()[i] = var.data()[i] * var.data()[i] + 0.05f;
    }
    w.put("pre_bn/moving_variance", var);
    return w;
  }

  private static WeightTensor random(Random r, float offset, long... shape) {
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    float[] data = new float[n];
    for (int i = 0; i < n; i++) {
      data[i] = offset + (float) r.nextGaussian() * 0.5f;
    }
    return new WeightTensor(shape, data);
  }

  @Test
  void frozenAffineEqualsBatchNormInInferenceAndExports() {
    Map<String, WeightTensor> w = kerasWeights();
    Set<String> all = Set.of("conv0", "pre_bn", "conv1");
    ComputationGraph real = block(false);
    KerasWeightLoader.load(real, w, all, c -> c + "_bn", EPSILON);
    ComputationGraph frozen = block(true);
    KerasWeightLoader.load(frozen, w, all, c -> c + "_bn", EPSILON);

    Nd4j.getRandom().setSeed(3);
    INDArray x = Nd4j.rand(2, 3, 8, 8).muli(2).subi(1);
    INDArray a = real.outputSingle(false, x);
    INDArray b = frozen.outputSingle(false, x);
    double diff = Transforms.abs(a.sub(b)).maxNumber().doubleValue();
    assertTrue(diff < 1e-5, "frozen form differs from BatchNorm by " + diff);

    var options = new OnnxExporter.Options(null, Map.of(), "features");
    byte[] onnx = OnnxExporter.export(frozen, new long[] {3, 8, 8}, options);
    ParityChecker.Result r = ParityChecker.check(frozen, x, onnx, x.dup('c').data().asFloat(),
        options, ParityChecker.TOLERANCE);
    assertTrue(r.passed(ParityChecker.TOLERANCE), "parity " + r.maxAbsDiff());
  }
}
