package dev.kiln.maven.export;

import dev.kiln.onnx.OnnxGraph;

import dev.kiln.maven.blocks.ChannelScaleVertex;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.ReshapeVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;

/**
 * The registry of converters for graph vertices without a layer, one entry per DL4J vertex
 * configuration class: concatenation along channels, element-wise Add/Product/Subtract/Max/
 * Average, Reshape, and {@link ChannelScaleVertex} (squeeze-and-excite's broadcast multiply).
 * Each writes nodes whose output is named after the vertex.
 */
final class VertexConverters {

  /** Writes one vertex. */
  @FunctionalInterface
  interface VertexConverter {
    /**
     * @param g the graph being written
     * @param name the vertex's name (the name of its output tensor)
     * @param conf its configuration
     * @param inputs its input tensors, in order
     */
    void convert(OnnxGraph g, String name, GraphVertex conf, List<String> inputs);
  }

  private static final Map<Class<?>, VertexConverter> REGISTRY = Map.of(
      MergeVertex.class, (g, name, conf, in) -> g.node("Concat", name, name, array(in))
          .addAttribute(OnnxGraph.integer("axis", 1)),
      ElementWiseVertex.class, VertexConverters::elementWise,
      ReshapeVertex.class, VertexConverters::reshape,
      ChannelScaleVertex.class, (g, name, conf, in) ->
          g.node("Mul", name, name, in.get(0), in.get(1)),
      ScaleVertex.class, (g, name, conf, in) -> g.node("Mul", name, name, in.get(0),
          g.initializer(name + "_factor", new long[] {1},
              new float[] {(float) ((ScaleVertex) conf).getScaleFactor()})));

  private VertexConverters() {}

  /**
   * @throws UnsupportedOperationException naming the vertex, its type and the supported types
   */
  static String convert(OnnxGraph g, String name, GraphVertex conf, List<String> inputs) {
    VertexConverter c = REGISTRY.get(conf.getClass());
    if (c == null) {
      throw new UnsupportedOperationException("vertex '" + name + "' ("
          + conf.getClass().getSimpleName() + ") cannot be exported to ONNX; supported: layers"
          + " and " + REGISTRY.keySet().stream().map(Class::getSimpleName).sorted().toList());
    }
    c.convert(g, name, conf, inputs);
    return name;
  }

  private static void elementWise(OnnxGraph g, String name, GraphVertex conf, List<String> in) {
    ElementWiseVertex.Op op = ((ElementWiseVertex) conf).getOp();
    switch (op) {
      case Add, Product, Max -> {
        String onnx = op == ElementWiseVertex.Op.Add ? "Sum"
            : op == ElementWiseVertex.Op.Product ? "Mul" : "Max";
        if (onnx.equals("Mul") && in.size() > 2) {
          throw new UnsupportedOperationException("vertex '" + name + "': a product of "
              + in.size() + " inputs; supported: 2");
        }
        g.node(in.size() == 2 && onnx.equals("Sum") ? "Add" : onnx, name, name, array(in));
      }
      case Subtract -> g.node("Sub", name, name, in.get(0), in.get(1));
      case Average -> g.node("Mean", name, name, array(in));
      default -> throw new UnsupportedOperationException("vertex '" + name + "' uses element-wise "
          + op + "; supported: Add, Subtract, Product, Average, Max");
    }
  }

  private static void reshape(OnnxGraph g, String name, GraphVertex conf, List<String> in) {
    ReshapeVertex r = (ReshapeVertex) conf;
    if (r.getReshapeOrder() != 'c') {
      throw new UnsupportedOperationException("vertex '" + name + "' reshapes in order '"
          + r.getReshapeOrder() + "'; ONNX Reshape is row-major ('c')");
    }
    long[] shape = Arrays.stream(r.getNewShape()).asLongStream().toArray();
    shape[0] = -1; // the batch: DL4J's shape names a size, the model takes any
    g.node("Reshape", name, name, in.get(0), g.int64Initializer(name + "_shape", shape));
  }

  private static String[] array(List<String> in) {
    return in.toArray(String[]::new);
  }
}
