package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.engine.Dl4jSetup;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class BackboneTest {

  static {
    Dl4jSetup.init();
  }

  @Test
  void h5AndTfjsWeightsAreBitIdentical() throws Exception {
    Map<String, WeightTensor> h5 = KerasWeights.read(Fixtures.mobilenetH5());
    Map<String, WeightTensor> tfjs = KerasWeights.read(Fixtures.mobilenetTfjs());
    assertTrue(tfjs.containsKey("conv_preds/kernel"));
    assertEquals(h5.keySet().size() + 2, tfjs.keySet().size(), "tfjs adds conv_preds kernel+bias");
    for (String k : h5.keySet()) {
      assertArrayEquals(h5.get(k).shape(), tfjs.get(k).shape(), k);
      assertArrayEquals(h5.get(k).data(), tfjs.get(k).data(), k);
    }
  }

  @Test
  void recognisesMobileNetAndAlpha() throws Exception {
    Backbone b = BackboneResolver.resolve(Fixtures.mobilenetH5().toString(), Path.of("."), 224);
    assertEquals("mobilenet_v1_0.25", b.architecture().id());
    assertEquals(64, b.sha256().length());
    UserProblemException size = assertThrows(UserProblemException.class,
        () -> BackboneResolver.resolve(Fixtures.mobilenetH5().toString(), Path.of("."), 300));
    assertTrue(size.getMessage().contains("inputSize"));
    UserProblemException missing = assertThrows(UserProblemException.class,
        () -> BackboneResolver.resolve("resnet50", Path.of("."), 224));
    assertTrue(missing.getMessage().contains("unknown backbone 'resnet50'"), missing.getMessage());
  }

  @Test
  void anExplicitFamilyIsUsedAndAWrongOneNamesTheMissingWeights() throws Exception {
    Backbone b = BackboneResolver.resolve(Fixtures.mobilenetH5(), 160, "mobilenet_v1:0.25");
    assertEquals("mobilenet_v1_0.25", b.architecture().id());
    assertEquals(160, b.inputSize());
    Backbone wrong = BackboneResolver.resolve(Fixtures.mobilenetH5(), 224, "resnet50");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> wrong.featureGraph(wrong.architecture().lastFeatureLayer()));
    assertTrue(e.getMessage().contains("conv1_conv"), e.getMessage());
    UserProblemException unknown = assertThrows(UserProblemException.class,
        () -> BackboneResolver.resolve(Fixtures.mobilenetH5(), 224, "alexnet"));
    assertTrue(unknown.getMessage().contains("backboneFamily")
        && unknown.getMessage().contains("mobilenet_v2:<"), unknown.getMessage());
    UserProblemException size = assertThrows(UserProblemException.class,
        () -> BackboneResolver.resolve(Fixtures.mobilenetH5(), 96, null));
    assertTrue(size.getMessage().contains("128 to 224"), size.getMessage());
  }

  @Test
  void fastDl4jPathIsActive() throws Exception {
    assertTrue(Dl4jSetup.fastPathActive(), "oneDNN helpers should be enabled");
    Backbone b = BackboneResolver.resolve(Fixtures.mobilenetH5().toString(), Path.of("."), 128);
    ComputationGraph g = b.featureGraph("conv_pw_1_relu");
    g.output(Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, 3, 128, 128));
    ConvolutionLayer conv1 = (ConvolutionLayer) g.getLayer("conv1");
    java.lang.reflect.Field helper = ConvolutionLayer.class.getDeclaredField("helper");
    helper.setAccessible(true);
    assertTrue(helper.get(conv1) instanceof MKLDNNConvHelper,
        "conv1 should run through the oneDNN helper, has " + helper.get(conv1));
  }

  /** With the ImageNet top, most hymenoptera validation photos land in ant (310) / bee (309). */
  @Test
  void imagenetTopRecognisesAntsAndBees() throws Exception {
    Backbone b = BackboneResolver.resolve(Fixtures.mobilenetTfjs().toString(), Path.of("."), 224);
    ComputationGraph g = b.imagenetClassifier();
    Preprocessing spec = b.normalization();
    int right = 0;
    int inClass = 0;
    int total = 0;
    for (String label : List.of("ants", "bees")) {
      List<Path> files;
      try (Stream<Path> s = Files.list(Fixtures.hymenoptera().resolve("val").resolve(label))) {
        files = s.sorted().collect(Collectors.toList());
      }
      for (Path f : files) {
        INDArray x = Nd4j.create(Preprocessor.tensor(f, spec), new long[] {1, 3, 224, 224}, 'c');
        INDArray p = g.outputSingle(x);
        float ant = p.getFloat(0, 310);
        float bee = p.getFloat(0, 309);
        boolean isAnt = label.equals("ants");
        if ((isAnt && ant > bee) || (!isAnt && bee > ant)) {
          right++;
        }
        for (int t : top5(p.reshape(1000).toFloatVector())) {
          if (t == (isAnt ? 310 : 309)) {
            inClass++;
          }
        }
        total++;
      }
    }
    assertTrue(right >= 0.9 * total, "ant-vs-bee logits right on " + right + "/" + total);
    System.out.println("ImageNet top: ant-vs-bee right " + right + "/" + total
        + ", true insect class in top-5 " + inClass + "/" + total);
    assertTrue(inClass >= 0.6 * total, "insect class in the top 5 on " + inClass + "/" + total);
  }

  static int[] top5(float[] p) {
    Integer[] idx = new Integer[p.length];
    for (int i = 0; i < p.length; i++) {
      idx[i] = i;
    }
    java.util.Arrays.sort(idx, (a, c) -> Float.compare(p[c], p[a]));
    return new int[] {idx[0], idx[1], idx[2], idx[3], idx[4]};
  }
}
