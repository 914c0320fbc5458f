package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.junit.jupiter.api.Test;

/**
 * NASNetMobile without running it (the conformance suite runs a reduced NASNet): Keras'
 * parameter count, the shape at every cut as DL4J infers it at 224 px (odd sizes after the stem:
 * the reduction cells' parity-dependent padding), the one fine-tune unit, recognition, and the
 * separable convolutions' pointwise kernels reached under the pointwise layers' names.
 */
class NasNetTest {

  @Test
  void kerasParameterCountAndShapesAtEveryCut() {
    NasNet arch = NasNet.mobile();
    for (int size : new int[] {224, 225}) {
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
      assertEquals(4_269_716L, params);
      Map<String, InputType> types = conf.getLayerActivationTypes(
          InputType.convolutional(size, size, 3));
      for (String cut : arch.featureLayers()) {
        var t = (InputType.InputTypeConvolutional) types.get(cut);
        assertArrayEquals(new long[] {t.getChannels(), t.getHeight(), t.getWidth()},
            arch.shapeAfter(cut, size), size + " " + cut);
      }
    }
    assertArrayEquals(new long[] {1056, 7, 7}, arch.shapeAfter("relu", 224));
    assertEquals(1, arch.trainableUnits());
    assertEquals("stem_bn1", arch.cutBefore(1));
    assertThrows(IllegalArgumentException.class, () -> arch.cutBefore(2));
  }

  @Test
  void recognisedAndPointwiseKernelsReached() {
    WeightTensor t = new WeightTensor(new long[] {1}, new float[] {1});
    Map<String, WeightTensor> w = new HashMap<>();
    w.put("stem_conv1/kernel", t);
    w.put("normal_conv_1_12/kernel", t);
    w.put("separable_conv_1_normal_left1_0/pointwise_kernel", t);
    assertEquals(NasNet.mobile(), Families.recognise(w).orElseThrow());
    assertEquals(t, NasNet.mobile().graphWeights(w)
        .get("separable_conv_1_normal_left1_0_pointwise/kernel"));
    assertEquals("separable_conv_2_bn_normal_left1_0",
        NasNet.mobile().batchNormOf("separable_conv_2_normal_left1_0_pointwise"));
    assertEquals("adjust_bn_stem_2", NasNet.mobile().batchNormOf("adjust_conv_projection_stem_2"));
    assertEquals("normal_bn_1_3", NasNet.mobile().batchNormOf("normal_conv_1_3"));
  }
}
