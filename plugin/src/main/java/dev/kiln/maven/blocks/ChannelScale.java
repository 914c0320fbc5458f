package dev.kiln.maven.blocks;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.BaseGraphVertex;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The running form of {@link ChannelScaleVertex}: {@code map · gate}, gate broadcast. */
final class ChannelScale extends BaseGraphVertex {

  private static final long serialVersionUID = 1L;

  ChannelScale(ComputationGraph graph, String name, int index, DataType dataType) {
    super(graph, name, index, null, null, dataType);
  }

  @Override
  public boolean hasLayer() {
    return false;
  }

  @Override
  public Layer getLayer() {
    return null;
  }

  @Override
  public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
    if (!canDoForward()) {
      throw new IllegalStateException("channel scale " + vertexName + ": inputs not set");
    }
    try (MemoryWorkspace ws = workspaceMgr.notifyScopeBorrowed(ArrayType.ACTIVATIONS)) {
      return inputs[0].mul(gate());
    }
  }

  /** The gate, shaped to broadcast over the map. */
  private INDArray gate() {
    INDArray g = inputs[1];
    return g.rank() == 4 ? g : g.reshape(g.size(0), g.size(1), 1, 1);
  }

  @Override
  public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
    if (!canDoBackward()) {
      throw new IllegalStateException("channel scale " + vertexName + ": epsilon not set");
    }
    try (MemoryWorkspace ws = workspaceMgr.notifyScopeBorrowed(ArrayType.ACTIVATION_GRAD)) {
      INDArray dMap = epsilon.mul(gate());
      INDArray dGate = epsilon.mul(inputs[0]).sum(true, 2, 3).reshape(inputs[1].shape());
      return new Pair<>(null, new INDArray[] {dMap, dGate});
    }
  }

  @Override
  public void setBackpropGradientsViewArray(INDArray backpropGradientsViewArray) {
    if (backpropGradientsViewArray != null) {
      throw new IllegalArgumentException("a channel scale has no parameters");
    }
  }

  @Override
  public Pair<INDArray, MaskState> feedForwardMaskArrays(INDArray[] maskArrays,
      MaskState currentMaskState, int minibatchSize) {
    return new Pair<>(maskArrays == null ? null : maskArrays[0], currentMaskState);
  }

  @Override
  public String toString() {
    return "ChannelScale(" + vertexName + ")";
  }
}
