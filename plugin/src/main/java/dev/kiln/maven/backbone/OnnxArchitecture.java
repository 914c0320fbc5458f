package dev.kiln.maven.backbone;

import dev.kiln.maven.export.OnnxSurgery;
import dev.kiln.onnx.OnnxProto.ModelProto;
import dev.kiln.runtime.image.Preprocessing;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;

/**
 * A backbone given as an ONNX model (a PyTorch export, a Kiln model): the user's graph, cut at a
 * tensor, runs on ONNX Runtime as the frozen part, and the shipped model is that graph stitched to
 * the trained head ({@link OnnxSurgery}). Its preprocessing is the user's to state. For
 * {@code fine-tune} and {@code full} the graph (or its top units) is imported into DL4J
 * ({@link OnnxImport}), one vertex per node named after its output tensor, and the trained
 * weights are written back into the user's graph. Units end at single tensors that a weighted
 * layer reads: a layer with its activation, or a residual block.
 *
 * @param name a short id for logs and metadata, e.g. {@code onnx:mobilenet_v2_0.5_224_torch}
 * @param model the parsed model
 * @param cut the tensor the features are taken from
 * @param why how the cut was chosen
 * @param cutShape the cut's shape for one image, batch first
 * @param preprocessing what turns raw 0..255 RGB into the model's input
 * @param imported the importer of the graph into DL4J ({@code fine-tune}, {@code full})
 */
public record OnnxArchitecture(String name, ModelProto model, String cut, String why,
    long[] cutShape, Preprocessing preprocessing, OnnxImport imported)
    implements Architecture {

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
    return imported.addNodes(b, OnnxSurgery.inputName(model), input, cutAt,
        new java.util.HashMap<>());
  }

  @Override
  public int trainableUnits() {
    return imported.unitBoundaries(cut).size() - 1;
  }

  @Override
  public String cutBefore(int topUnits) {
    List<String> b = imported.unitBoundaries(cut);
    if (topUnits < 1 || topUnits >= b.size()) {
      throw new IllegalArgumentException(name + " has " + (b.size() - 1) + " units to fine-tune;"
          + " was " + topUnits);
    }
    return b.get(b.size() - 1 - topUnits);
  }

  @Override
  public int addTop(GraphBuilder b, String input, int topUnits) {
    return imported.addNodes(b, cutBefore(topUnits), input, cut, new java.util.HashMap<>());
  }

  @Override
  public long[] shapeAfter(String layer, int inputSize) {
    long[] s = layer.equals(cut) ? cutShape : imported.shapes().get(layer);
    if (s == null) {
      throw new IllegalArgumentException(name + " has no tensor '" + layer + "'");
    }
    return java.util.Arrays.copyOfRange(s, 1, s.length);
  }

  /**
   * @param tensor where the frozen part ends
   * @return the frozen part Kiln runs for fine-tuning: raw image → that feature map
   */
  public byte[] featureMapsModel(String tensor) {
    long[] shape = tensor.equals(cut) ? cutShape : imported.shapes().get(tensor);
    return OnnxSurgery.featureMaps(model, tensor, shape, preprocessing);
  }

  /**
   * @param trained the trained network (vertices named after the graph's tensors)
   * @return this backbone with the trained weights written into the user's graph
   */
  public OnnxArchitecture withTrainedWeights(org.deeplearning4j.nn.graph.ComputationGraph trained) {
    return new OnnxArchitecture(name, imported.writeBack(trained), cut, why, cutShape,
        preprocessing, imported);
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
    return OnnxSurgery.features(model, cut, cutShape, preprocessing, maxPooling);
  }

  /**
   * @param head the trained head exported alone ({@code [N, C]} input)
   * @return the shipped model: the user's graph up to the cut, then the head
   */
  public byte[] classifier(boolean maxPooling, byte[] head, boolean flip,
      Map<String, String> metadata) {
    return OnnxSurgery.classifier(model, cut, cutShape, preprocessing, maxPooling, head, flip,
        metadata);
  }

}
