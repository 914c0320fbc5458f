package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * EfficientNet B0–B7 without running them (the conformance suite runs B0): Keras' published
 * parameter counts (less the Normalization layer's sample count, which Kiln does not keep), the
 * shape at every cut as DL4J infers it at each variant's own size, the fine-tune units,
 * recognition from a weights file's names, and the ImageNet input statistics read from the file.
 */
class EfficientNetTest {

  @ParameterizedTest
  @CsvSource({"0, 4049571, 224, 1280, 16", "1, 6575239, 240, 1280, 23",
      "2, 7768569, 260, 1408, 23", "3, 10783535, 300, 1536, 26", "4, 17673823, 380, 1792, 32",
      "5, 28513527, 456, 2048, 39", "6, 40960143, 528, 2304, 45", "7, 64097687, 600, 2560, 55"})
  void kerasParameterCountsAndShapesAtEveryCut(int variant, long keras, int size, long top,
      int blocks) {
    EfficientNet arch = new EfficientNet(variant);
    var b = new NeuralNetConfiguration.Builder().graphBuilder().addInputs("input")
        .setInputTypes(InputType.convolutional(size, size, 3));
    arch.addFeatures(b, "input", arch.lastFeatureLayer());
    b.setOutputs(arch.lastFeatureLayer());
    ComputationGraphConfiguration conf = b.build();
    long params = 0;
    for (var v : conf.getVertices().values()) {
      if (v instanceof LayerVertex l) {
        params += l.getLayerConf().getLayer().initializer().numParams(l.getLayerConf());
      }
    }
    // Keras counts the Normalization's mean (3), variance (3) and sample count (1); Kiln keeps
    // the first two as a per-channel affine
    assertEquals(keras - 1, params, arch.id());
    assertEquals(blocks, arch.trainableUnits());
    Map<String, InputType> types = conf.getLayerActivationTypes(
        InputType.convolutional(size, size, 3));
    for (String cut : arch.featureLayers()) {
      var t = (InputType.InputTypeConvolutional) types.get(cut);
      assertArrayEquals(new long[] {t.getChannels(), t.getHeight(), t.getWidth()},
          arch.shapeAfter(cut, size), arch.id() + " " + cut);
    }
    long last = (size + 31) / 32;
    assertArrayEquals(new long[] {top, last, last}, arch.shapeAfter("top_activation", size));
    assertEquals(size, arch.defaultSize());
  }

  @Test
  void cutsAndUnitsOfB0() {
    EfficientNet b0 = new EfficientNet(0);
    assertEquals(java.util.List.of("stem_activation", "block1a_project_bn", "block2a_project_bn",
        "block2b_add", "block3a_project_bn", "block3b_add", "block4a_project_bn", "block4b_add",
        "block4c_add", "block5a_project_bn", "block5b_add", "block5c_add", "block6a_project_bn",
        "block6b_add", "block6c_add", "block6d_add", "block7a_project_bn", "top_activation"),
        b0.featureLayers());
    assertEquals("block6d_add", b0.cutBefore(1));
    assertEquals("stem_activation", b0.cutBefore(16));
    assertThrows(IllegalArgumentException.class, () -> b0.cutBefore(17));
    assertEquals("block2a_bn", b0.batchNormOf("block2a_dwconv"));
    assertEquals("block2a_expand_bn", b0.batchNormOf("block2a_expand_conv"));
    assertEquals("top_bn", b0.batchNormOf("top_conv"));
    assertTrue(b0.batchNormOf("block2a_se_reduce").endsWith("_no_bn"));
  }

  @Test
  void recognisedByTopWidthAndLastBlock() {
    WeightTensor t = new WeightTensor(new long[] {1}, new float[] {1});
    for (int v = 0; v < 8; v++) {
      EfficientNet e = new EfficientNet(v);
      Map<String, WeightTensor> w = new HashMap<>();
      w.put("stem_conv/kernel", t);
      w.put("block1a_dwconv/depthwise_kernel", t);
      int top = e.filters(1280);
      w.put("top_conv/kernel", new WeightTensor(new long[] {1, 1, 1, top}, new float[top]));
      String last = e.featureLayers().get(e.featureLayers().size() - 2);
      w.put(last.substring(0, last.indexOf('_') + 1) + "project_conv/kernel", t);
      assertEquals(e, Families.recognise(w).orElseThrow(), "B" + v);
    }
    assertEquals(new EfficientNet(3), Families.named("EfficientNetB3"));
    assertEquals("EfficientNetB3", Families.describe("efficientnetb3", null));
  }

  @Test
  void theImagenetRescalingFoldsIntoTheNormalizationVariance() {
    Map<String, WeightTensor> w = new HashMap<>();
    w.put("normalization/mean", new WeightTensor(new long[] {3},
        new float[] {0.485f, 0.456f, 0.406f}));
    w.put("normalization/variance", new WeightTensor(new long[] {3},
        new float[] {0.229f, 0.224f, 0.225f}));
    float[] v = new EfficientNet(0).graphWeights(w).get("normalization/variance").data();
    // (x − μ)/√v/√std with v = std: (x − μ)/std, i.e. variance std²
    assertEquals(0.229 * 0.229, v[0], 1e-7);
    assertEquals(0.225 * 0.225, v[2], 1e-7);
    assertEquals(0.229f, w.get("normalization/variance").data()[0]);
    // loaded from Keras-layout weights, the layer computes (x/255 − mean)/std
    Backbone b = RandomWeights.of(EfficientNet.reduced(), 32, 3);
    var layer = b.featureMapGraph("stem_activation").getLayer("normalization");
    float[] scale = layer.getParam("W").dup('c').data().asFloat();
    float[] shift = layer.getParam("b").dup('c').data().asFloat();
    assertEquals(1 / 0.229, scale[0], 1e-5);
    assertEquals(-0.406 / 0.225, shift[2], 1e-5);
    assertEquals(1f / 255, b.normalization().scale());
  }
}
