package dev.kiln.maven.blocks;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * ONNX's {@code HardSigmoid}: {@code clip(α·x + β, 0, 1)} with any α and β (PyTorch's
 * {@code hardsigmoid} is α = 1/6, β = ½; DL4J's own hard sigmoid is fixed at 0.2 and ½). The
 * derivative is α where the line is inside (0, 1), else 0.
 */
public final class ActivationScaledHardSigmoid extends BaseActivationFunction {

  private static final long serialVersionUID = 1L;

  private final double alpha;
  private final double beta;

  /**
   * @param alpha the slope
   * @param beta the offset
   */
  public ActivationScaledHardSigmoid(double alpha, double beta) {
    this.alpha = alpha;
    this.beta = beta;
  }

  /** @return the slope α */
  public double alpha() {
    return alpha;
  }

  /** @return the offset β */
  public double beta() {
    return beta;
  }

  @Override
  public INDArray getActivation(INDArray in, boolean training) {
    INDArray line = in.muli(alpha).addi(beta);
    return Transforms.min(Transforms.max(line, 0.0, false), 1.0, false);
  }

  @Override
  public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
    assertShape(in, epsilon);
    INDArray line = in.mul(alpha).addi(beta);
    INDArray inside = line.gt(0.0).castTo(in.dataType()).muli(line.lt(1.0).castTo(in.dataType()));
    return new Pair<>(epsilon.muli(inside.muli(alpha)), null);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ActivationScaledHardSigmoid a && a.alpha == alpha && a.beta == beta;
  }

  @Override
  public int hashCode() {
    return Double.hashCode(alpha) * 31 + Double.hashCode(beta);
  }

  @Override
  public String toString() {
    return "hardsigmoid(" + alpha + ", " + beta + ")";
  }
}
