package dev.kiln.maven.blocks;

import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Squeeze-and-excite's scaling: input 0 is a feature map {@code [N, C, H, W]}, input 1 one
 * weight per image and channel {@code [N, C, 1, 1]} (a sigmoid gate); the output is their
 * product, broadcast over H and W. DL4J's {@code ElementWiseVertex} needs equal shapes, hence
 * this vertex. Exported as ONNX {@code Mul} (which broadcasts).
 */
public final class ChannelScaleVertex extends GraphVertex {

  private static final long serialVersionUID = 1L;

  @Override
  public ChannelScaleVertex clone() {
    return new ChannelScaleVertex();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChannelScaleVertex;
  }

  @Override
  public int hashCode() {
    return ChannelScaleVertex.class.hashCode();
  }

  @Override
  public long numParams(boolean backprop) {
    return 0;
  }

  @Override
  public int minVertexInputs() {
    return 2;
  }

  @Override
  public int maxVertexInputs() {
    return 2;
  }

  @Override
  public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(ComputationGraph graph,
      String name, int idx, INDArray paramsView, boolean initializeParams, DataType dataType) {
    return new ChannelScale(graph, name, idx, dataType);
  }

  @Override
  public InputType getOutputType(int layerIndex, InputType... vertexInputs) {
    if (vertexInputs.length != 2
        || !(vertexInputs[0] instanceof InputType.InputTypeConvolutional map)
        || !(vertexInputs[1] instanceof InputType.InputTypeConvolutional gate)
        || gate.getChannels() != map.getChannels() || gate.getHeight() != 1
        || gate.getWidth() != 1) {
      throw new org.deeplearning4j.nn.conf.inputs.InvalidInputTypeException("a channel scale"
          + " takes a feature map [C, H, W] and a gate [C, 1, 1]; got "
          + java.util.Arrays.toString(vertexInputs));
    }
    return map;
  }

  @Override
  public MemoryReport getMemoryReport(InputType... inputTypes) {
    return new LayerMemoryReport.Builder(null, ChannelScaleVertex.class, inputTypes[0],
        inputTypes[0]).standardMemory(0, 0).workingMemory(0, 0, 0, 0).cacheMemory(0, 0).build();
  }
}
