package dev.kiln.maven.cam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.onnx.OnnxGraph;
import dev.kiln.onnx.OnnxProto.GraphProto;
import java.nio.FloatBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The head is found in the graph Kiln exports (output ← softmax ← Gemm ← flatten ← average
 * pooling); other heads are named, not drawn; a map averages to the class's score.
 */
class ClassActivationMapsTest {

  /** 3 maps, 2 classes: {@code W[k][c]}. */
  static final float[] W = {1, -1, 2, 0, -3, 5};

  /** @return x → pool → flatten → [between] → Gemm → Softmax → output */
  static GraphProto graph(String pool, String between) {
    OnnxGraph g = new OnnxGraph();
    g.graph.addInput(OnnxGraph.floatValue("x", -1, 3, 7, 7));
    g.node(pool, "pool", "pooled", "x");
    g.node("Flatten", "flat", "features", "pooled");
    String in = "features";
    if (between != null) {
      g.node(between, "hidden", "hidden", in);
      in = "hidden";
    }
    g.node("Gemm", "dense", "logits", in, g.initializer("W", new long[] {3, 2}, W),
        g.initializer("b", new long[] {2}, new float[] {0.5f, -0.5f}));
    g.node("Softmax", "softmax", "probabilities", "logits");
    g.node("Identity", "output", "output", "probabilities");
    g.graph.addOutput(OnnxGraph.floatValue("output", -1, 2));
    return g.graph.build();
  }

  @Test
  void theLinearHeadOnAveragePooledMapsIsFound() throws Exception {
    ClassActivationMaps.Head head = ClassActivationMaps.head(graph("GlobalAveragePool", null));
    assertEquals("x", head.maps(), "the maps the pooling averages");
    // W[k] = (1, -1), (2, 0), (-3, 5): centred over the two classes
    assertArrayEquals(new float[] {1, 1, -4}, head.weights()[0], 1e-6f);
    assertArrayEquals(new float[] {-1, -1, 4}, head.weights()[1], 1e-6f);
  }

  @Test
  void otherHeadsAreNamedNotDrawn() {
    assertTrue(assertThrows(ClassActivationMaps.NotLinear.class, () -> ClassActivationMaps
        .head(graph("GlobalMaxPool", null))).getMessage().contains("max-pooled (pooling max)"));
    assertTrue(assertThrows(ClassActivationMaps.NotLinear.class, () -> ClassActivationMaps
        .head(graph("GlobalAveragePool", "Relu"))).getMessage()
        .contains("hidden layer (hiddenUnits)"));
  }

  @Test
  void aMapAveragesToTheClassScoreWithoutItsBias() {
    Random random = new Random(7);
    int k = 3;
    int h = 7;
    int w = 7;
    float[] maps = new float[2 * k * h * w];
    for (int i = 0; i < maps.length; i++) {
      maps[i] = random.nextFloat();
    }
    float[] weights = {0.3f, -1.2f, 2.5f};
    float[][] cam = ClassActivationMaps.cam(FloatBuffer.wrap(maps), k * h * w, k, h, w, weights);
    double mean = 0;
    for (float[] row : cam) {
      for (float v : row) {
        mean += v / (h * w);
      }
    }
    double score = 0; // the linear layer on the average-pooled maps of the second photo
    for (int c = 0; c < k; c++) {
      double pooled = 0;
      for (int i = 0; i < h * w; i++) {
        pooled += maps[k * h * w + c * h * w + i] / (double) (h * w);
      }
      score += weights[c] * pooled;
    }
    assertEquals(score, mean, 1e-5);
  }
}
