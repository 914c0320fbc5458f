package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The published DenseNets at full depth, without running them (the conformance suite runs the
 * reduced one): Keras' parameter counts, the shape at every cut as DL4J infers it for 224 px,
 * both forms of the graph (trainable, with the pre-activation BatchNorms as frozen affines)
 * alike in layer names, the fine-tune units, and recognition from a weights file's names.
 */
class DenseNetTest {

  private static ComputationGraphConfiguration.GraphBuilder builder(int size) {
    return new NeuralNetConfiguration.Builder().graphBuilder().addInputs("input")
        .setInputTypes(InputType.convolutional(size, size, 3));
  }

  @ParameterizedTest
  @CsvSource({"121, 7037504, 1024", "169, 12642880, 1664", "201, 18321984, 1920"})
  void kerasParameterCountsAndShapesAtEveryCut(int depth, long params, long channels) {
    DenseNet arch = new DenseNet(depth);
    var b = builder(224);
    arch.addFeatures(b, "input", arch.lastFeatureLayer());
    b.setOutputs(arch.lastFeatureLayer());
    ComputationGraphConfiguration conf = b.build();
    long counted = 0;
    for (var v : conf.getVertices().values()) {
      if (v instanceof org.deeplearning4j.nn.conf.graph.LayerVertex l) {
        counted += l.getLayerConf().getLayer().initializer().numParams(l.getLayerConf());
      }
    }
    assertEquals(params, counted, arch.id());
    Map<String, InputType> types = conf.getLayerActivationTypes(
        InputType.convolutional(224, 224, 3));
    for (String cut : arch.featureLayers()) {
      var t = (InputType.InputTypeConvolutional) types.get(cut);
      assertArrayEquals(new long[] {t.getChannels(), t.getHeight(), t.getWidth()},
          arch.shapeAfter(cut, 224), arch.id() + " " + cut);
    }
    assertArrayEquals(new long[] {channels, 7, 7}, arch.shapeAfter("relu", 224));
    assertArrayEquals(new long[] {64, 56, 56}, arch.shapeAfter("pool1", 224));
  }

  @Test
  void trainableUnitsAreTheDenseBlocksAndTransitions() {
    DenseNet arch = new DenseNet(121);
    assertEquals(7, arch.trainableUnits());
    assertEquals("pool4_pool", arch.cutBefore(1));
    assertEquals("conv4_block24_concat", arch.cutBefore(2));
    assertEquals("pool1", arch.cutBefore(7));
    assertThrows(IllegalArgumentException.class, () -> arch.cutBefore(8));
    assertEquals(List.of("conv1_relu", "pool1", "conv2_block6_concat", "pool2_pool",
        "conv3_block12_concat", "pool3_pool", "conv4_block24_concat", "pool4_pool", "relu"),
        arch.featureLayers());
    // the pre-activation BatchNorms fold into nothing; the 1×1 convolutions' do
    assertEquals("conv2_block1_1_bn", arch.batchNormOf("conv2_block1_1_conv"));
    assertEquals("conv1_bn", arch.batchNormOf("conv1_conv"));
    assertTrue(arch.batchNormOf("pool2_conv").endsWith("_no_bn"));
    // the trainable form has the same layers, the pre-activation BatchNorms as affines
    var folded = builder(64);
    arch.addTop(folded, "input", 7);
    assertTrue(folded.getVertices().containsKey("conv5_block16_0_bn"));
    assertTrue(folded.getVertices().containsKey("bn"));
    assertTrue(!folded.getVertices().containsKey("conv5_block16_1_bn"));
  }

  @Test
  void recognisedByDepthFromKerasNames() {
    for (int depth : new int[] {121, 169, 201}) {
      int layers = depth == 121 ? 24 : depth == 169 ? 32 : 48;
      Map<String, WeightTensor> w = new HashMap<>();
      WeightTensor t = new WeightTensor(new long[] {1}, new float[] {1});
      w.put("conv1_conv/kernel", t);
      w.put("conv2_block1_0_bn/gamma", t);
      w.put("conv4_block" + layers + "_1_conv/kernel", t);
      assertEquals(new DenseNet(depth), Families.recognise(w).orElseThrow());
    }
    assertEquals(new DenseNet(169), Families.named("DenseNet169"));
    assertEquals("DenseNet201", Families.describe("densenet201", null));
  }
}
