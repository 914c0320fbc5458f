package dev.kiln.maven.export;

import com.google.protobuf.ByteString;
import dev.kiln.onnx.OnnxProto.AttributeProto;
import dev.kiln.onnx.OnnxProto.GraphProto;
import dev.kiln.onnx.OnnxProto.NodeProto;
import dev.kiln.onnx.OnnxProto.TensorProto;
import dev.kiln.onnx.OnnxProto.TensorShapeProto;
import dev.kiln.onnx.OnnxProto.TypeProto;
import dev.kiln.onnx.OnnxProto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** A small builder over the ONNX protobuf messages: nodes, float initialisers, typed values. */
final class OnnxGraph {

  final GraphProto.Builder graph = GraphProto.newBuilder();
  private int counter;

  String unique(String base) {
    return base + "_" + (counter++);
  }

  NodeProto.Builder node(String op, String name, String output, String... inputs) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
    for (String in : inputs) {
      n.addInput(in);
    }
    graph.addNode(n);
    return graph.getNodeBuilder(graph.getNodeCount() - 1);
  }

  String initializer(String name, long[] dims, float[] data) {
    graph.addInitializer(floatTensor(name, dims, data));
    return name;
  }

  /** @return a float32 tensor with its values as little-endian raw data */
  static TensorProto floatTensor(String name, long[] dims, float[] data) {
    ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(data);
    return Quantizer.bytes(name, dims, TensorProto.DataType.FLOAT_VALUE, buf.array());
  }

  String int64Initializer(String name, long... values) {
    TensorProto.Builder t = TensorProto.newBuilder()
        .setName(name)
        .setDataType(TensorProto.DataType.INT64_VALUE)
        .addDims(values.length);
    for (long v : values) {
      t.addInt64Data(v);
    }
    graph.addInitializer(t);
    return name;
  }

  static AttributeProto ints(String name, long... values) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
        .setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  static AttributeProto integer(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT)
        .setI(value).build();
  }

  static AttributeProto real(String name, float value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT)
        .setF(value).build();
  }

  static AttributeProto string(String name, String value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
        .setS(ByteString.copyFromUtf8(value)).build();
  }

  /** A float tensor value; dims ≤ 0 become the symbolic batch dimension. */
  static ValueInfoProto floatValue(String name, long... dims) {
    TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder()
        .setElemType(TensorProto.DataType.FLOAT_VALUE);
    if (dims != null) {
      TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
      for (long d : dims) {
        shape.addDim(d > 0 ? TensorShapeProto.Dimension.newBuilder().setDimValue(d)
            : TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
      }
      t.setShape(shape);
    }
    return ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(t)).build();
  }
}
