package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.image.Preprocessor;
import java.nio.file.Path;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/** The trainable top (BatchNorm folded) computes what the backbone computes. */
class FineTuneGraphTest {

  @Test
  void foldedTopOnFrozenMapsEqualsTheWholeNetwork() throws Exception {
    Backbone b = dev.kiln.maven.TestData.mobilenet(128);
    INDArray x = Nd4j.create(Preprocessor.tensor(
        Fixtures.hymenoptera().resolve("val/bees/1032546534_06907fe3b3.jpg"), b.normalization()),
        new long[] {1, 3, 128, 128}, 'c');
    ComputationGraph top = b.topGraph(2, 2, 0, 1, new Adam(1e-3), 0);
    ComputationGraph full = b.fineTunedGraph(2, 2, 0, 1);
    for (Layer layer : top.getLayers()) {
      if (layer.numParams() > 0) {
        // per parameter: a flat setParams mis-orders DepthwiseConvolution2D's W and b
        Layer target = full.getLayer(layer.conf().getLayer().getLayerName());
        layer.paramTable().forEach((key, value) -> target.getParam(key).assign(value));
      }
    }
    String cut = b.architecture().cutBefore(2);
    INDArray maps = b.featureMapGraph(cut).outputSingle(false, x);
    INDArray viaTop = top.outputSingle(false, maps);
    INDArray viaFull = full.outputSingle(false, x);
    // the pooled features of the unfolded backbone equal the folded top's
    INDArray pooledBackbone = b.featureGraph(null).outputSingle(false, x);
    INDArray pooledTop = top.feedForward(maps, false).get(Backbone.POOL);
    assertEquals(0, pooledBackbone.sub(pooledTop).amaxNumber().doubleValue(), 1e-3);
    assertEquals(0, viaTop.sub(viaFull).amaxNumber().doubleValue(), 1e-5);
  }
}
