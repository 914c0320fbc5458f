package dev.kiln.maven.export;

import dev.kiln.onnx.OnnxGraph;

import com.google.protobuf.ByteString;
import dev.kiln.onnx.OnnxProto.AttributeProto;
import dev.kiln.onnx.OnnxProto.GraphProto;
import dev.kiln.onnx.OnnxProto.ModelProto;
import dev.kiln.onnx.OnnxProto.NodeProto;
import dev.kiln.onnx.OnnxProto.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A Kiln model in float16 for GPU deployment: every float initializer and every computation in
 * half precision, the graph's input and output still float32 with a {@code Cast} at each edge, so
 * applications and the runtime see the same contract. On the CPU, ONNX Runtime inserts casts
 * around the operators it has no float16 kernel for: it runs, more slowly than float32.
 */
public final class HalfPrecision {

  static final int FLOAT16 = 10;

  private HalfPrecision() {}

  /**
   * @param model a float32 Kiln model
   * @return the float16 model (metadata kept)
   */
  public static byte[] fp16(byte[] model) {
    ModelProto m = Quantizer.parse(model);
    GraphProto.Builder g = m.getGraph().toBuilder();
    List<TensorProto> inits = new ArrayList<>();
    for (TensorProto t : g.getInitializerList()) {
      inits.add(t.getDataType() == TensorProto.DataType.FLOAT_VALUE ? half(t) : t);
    }
    g.clearInitializer().addAllInitializer(inits);
    String input = g.getInput(0).getName();
    String output = g.getOutput(0).getName();
    List<NodeProto> nodes = new ArrayList<>();
    nodes.add(cast(input, input + "_fp16", FLOAT16));
    for (NodeProto n : g.getNodeList()) {
      NodeProto.Builder b = n.toBuilder();
      // float constants inside nodes (a user's Constant nodes: Clip bounds) and casts to float
      // (a user's graph) become half too, so that every operator sees one type
      for (AttributeProto.Builder a : b.getAttributeBuilderList()) {
        if (a.hasT() && a.getT().getDataType() == TensorProto.DataType.FLOAT_VALUE) {
          a.setT(half(a.getT()));
        }
        if (n.getOpType().equals("Cast") && a.getName().equals("to")
            && a.getI() == TensorProto.DataType.FLOAT_VALUE) {
          a.setI(FLOAT16);
        }
      }
      for (int k = 0; k < b.getInputCount(); k++) {
        if (b.getInput(k).equals(input)) {
          b.setInput(k, input + "_fp16");
        }
      }
      for (int k = 0; k < b.getOutputCount(); k++) {
        if (b.getOutput(k).equals(output)) {
          b.setOutput(k, output + "_fp16");
        }
      }
      nodes.add(b.build());
    }
    nodes.add(cast(output + "_fp16", output, TensorProto.DataType.FLOAT_VALUE));
    g.clearNode().addAllNode(nodes).clearValueInfo();
    return m.toBuilder().setGraph(g).build().toByteArray();
  }

  private static NodeProto cast(String from, String to, int type) {
    return NodeProto.newBuilder().setOpType("Cast").setName(to + "_cast").addInput(from)
        .addOutput(to).addAttribute(AttributeProto.newBuilder().setName("to")
            .setType(AttributeProto.AttributeType.INT).setI(type)).build();
  }

  private static TensorProto half(TensorProto t) {
    float[] v = OnnxGraph.floats(t);
    ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putShort(toHalf(f));
    }
    return t.toBuilder().clearFloatData().setDataType(FLOAT16)
        .setRawData(ByteString.copyFrom(b.array())).build();
  }

  /** IEEE 754 binary16 from binary32, round to nearest even; overflow to infinity. */
  static short toHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xff;
    int mant = bits & 0x7fffff;
    if (exp == 0xff) { // inf or nan
      return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1f) {
      return (short) (sign | 0x7c00);
    }
    if (e <= 0) { // subnormal or zero
      if (e < -10) {
        return (short) sign;
      }
      mant |= 0x800000;
      int shift = 14 - e;
      int half = mant >> shift;
      int rest = mant & ((1 << shift) - 1);
      int mid = 1 << (shift - 1);
      if (rest > mid || (rest == mid && (half & 1) == 1)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >> 13);
    int rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
      half++; // may carry into the exponent: still correct (up to infinity)
    }
    return (short) (sign | half);
  }
}
