package dev.kiln.maven.blocks;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Hard-swish (MobileNetV3): {@code x · relu6(x + 3) / 6}. Its derivative is 0 below −3, 1 above
 * 3 and {@code (2x + 3) / 6} between. Exported as ONNX {@code HardSigmoid(α=1/6, β=½)} times x.
 */
public final class ActivationHardSwish extends BaseActivationFunction {

  private static final long serialVersionUID = 1L;

  @Override
  public INDArray getActivation(INDArray in, boolean training) {
    INDArray gate = Transforms.min(Transforms.max(in.add(3.0), 0.0, false), 6.0, false).divi(6.0);
    return in.muli(gate);
  }

  @Override
  public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
    assertShape(in, epsilon);
    INDArray inside = in.gt(-3.0).castTo(in.dataType());
    INDArray above = in.gt(3.0).castTo(in.dataType());
    INDArray slope = in.mul(2.0).addi(3.0).divi(6.0);
    // inside·(1 − above)·slope + above
    INDArray d = inside.muli(above.rsub(1.0)).muli(slope).addi(above);
    return new Pair<>(epsilon.muli(d), null);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ActivationHardSwish;
  }

  @Override
  public int hashCode() {
    return ActivationHardSwish.class.hashCode();
  }

  @Override
  public String toString() {
    return "hardswish";
  }
}
