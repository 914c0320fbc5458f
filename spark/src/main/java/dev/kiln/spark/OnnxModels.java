package dev.kiln.spark;

import dev.kiln.onnx.OnnxProto.ModelProto;
import dev.kiln.runtime.ModelMetadata;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reading models on the driver, without ONNX Runtime: their graph and Kiln metadata. */
final class OnnxModels {

  private OnnxModels() {}

  static ModelProto parse(byte[] model) {
    try {
      return ModelProto.parseFrom(model);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
    }
  }

  /** @return the model's {@code metadata_props} */
  static Map<String, String> properties(ModelProto m) {
    Map<String, String> props = new LinkedHashMap<>();
    m.getMetadataPropsList().forEach(p -> props.put(p.getKey(), p.getValue()));
    return props;
  }

  /**
   * @return the Kiln contract of a Kiln model
   * @throws IllegalArgumentException when it is not a Kiln model
   */
  static ModelMetadata kilnMetadata(byte[] model) {
    try {
      return ModelMetadata.fromProperties(properties(parse(model)), "the model");
    } catch (dev.kiln.runtime.KilnException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }
}
