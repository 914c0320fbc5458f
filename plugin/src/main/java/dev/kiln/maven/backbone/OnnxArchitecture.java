package dev.kiln.maven.backbone;

import dev.kiln.maven.export.OnnxSurgery;
import dev.kiln.maven.export.proto.OnnxProto.ModelProto;
import dev.kiln.runtime.image.Preprocessing;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;

/**
 * A backbone given as an ONNX model (a PyTorch export, a Kiln model): the user's graph, cut at a
 * tensor, runs on ONNX Runtime as the frozen part, and the shipped model is that graph stitched to
 * the trained head ({@link OnnxSurgery}). Its preprocessing is the user's to state. Kiln does not
 * import ONNX graphs into DL4J, so only the head trains ({@code feature-extractor}); the DL4J
 * methods of {@link Architecture} refuse.
 *
 * @param name a short id for logs and metadata, e.g. {@code onnx:mobilenet_v2_0.5_224_torch}
 * @param model the parsed model
 * @param cut the tensor the features are taken from
 * @param why how the cut was chosen
 * @param cutShape the cut's shape for one image, batch first
 * @param preprocessing what turns raw 0..255 RGB into the model's input
 */
public record OnnxArchitecture(String name, ModelProto model, String cut, String why,
    long[] cutShape, Preprocessing preprocessing) implements Architecture {

  @Override
  public String id() {
    return name;
  }

  @Override
  public Preprocessing normalization(int size) {
    return preprocessing;
  }

  @Override
  public void checkInputSize(int size) {
    if (size != preprocessing.width() || size != preprocessing.height()) {
      throw new IllegalArgumentException("an ONNX backbone takes the size its preprocessing"
          + " states (" + preprocessing.width() + "x" + preprocessing.height() + ")");
    }
  }

  /** @return every tensor a node produces: each can be the cut ({@code featureLayer}) */
  @Override
  public List<String> featureLayers() {
    return List.copyOf(OnnxSurgery.tensors(model));
  }

  @Override
  public String lastFeatureLayer() {
    return cut;
  }

  @Override
  public int addFeatures(GraphBuilder b, String input, String cutAt, boolean folded) {
    throw unsupported();
  }

  @Override
  public int trainableUnits() {
    return 0;
  }

  @Override
  public String cutBefore(int topUnits) {
    throw unsupported();
  }

  @Override
  public int addTop(GraphBuilder b, String input, int topUnits) {
    throw unsupported();
  }

  @Override
  public long[] shapeAfter(String layer, int inputSize) {
    if (!layer.equals(cut)) {
      throw new IllegalArgumentException("only the cut '" + cut + "' is measured");
    }
    return java.util.Arrays.copyOfRange(cutShape, 1, cutShape.length);
  }

  /** @return the width of the pooled features */
  public int features() {
    return (int) cutShape[1];
  }

  /**
   * @param maxPooling global max pooling instead of average
   * @return the frozen part Kiln runs: raw image → {@code features [N, C]}
   */
  public byte[] featuresModel(boolean maxPooling) {
    return OnnxSurgery.features(model, cut, preprocessing, maxPooling);
  }

  /**
   * @param head the trained head exported alone ({@code [N, C]} input)
   * @return the shipped model: the user's graph up to the cut, then the head
   */
  public byte[] classifier(boolean maxPooling, byte[] head, boolean flip,
      Map<String, String> metadata) {
    return OnnxSurgery.classifier(model, cut, preprocessing, maxPooling, head, flip, metadata);
  }

  private static UnsupportedOperationException unsupported() {
    return new UnsupportedOperationException("an ONNX backbone trains in mode feature-extractor"
        + " only: Kiln does not import ONNX graphs into DL4J");
  }
}
