package dev.kiln.maven.export;

import dev.kiln.onnx.OnnxGraph;

import dev.kiln.maven.blocks.ActivationHardSwish;
import java.util.Map;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationHardSigmoid;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationSwish;
import org.nd4j.linalg.activations.impl.ActivationTanH;

/**
 * The registry of activation converters, one entry per DL4J activation class, each writing ONNX
 * opset-13 nodes whose output is the given name. Swish and hard-swish have no opset-13 operator:
 * they are {@code x · Sigmoid(x)} and {@code x · HardSigmoid(x; 1/6, ½)}.
 */
final class ActivationConverters {

  /** Writes one activation: {@code x} in, the tensor {@code name} out. */
  @FunctionalInterface
  interface ActivationConverter {
    void write(OnnxGraph g, String name, IActivation fn, String x);
  }

  private static final Map<Class<?>, ActivationConverter> REGISTRY = Map.ofEntries(
      Map.entry(ActivationIdentity.class, (g, name, fn, x) -> g.node("Identity", name, name, x)),
      Map.entry(ActivationReLU.class, (g, name, fn, x) -> g.node("Relu", name, name, x)),
      Map.entry(ActivationReLU6.class, (g, name, fn, x) -> g.node("Clip", name, name, x,
          g.initializer(g.unique("clip_min"), new long[0], new float[] {0f}),
          g.initializer(g.unique("clip_max"), new long[0], new float[] {6f}))),
      Map.entry(ActivationLReLU.class, (g, name, fn, x) -> g.node("LeakyRelu", name, name, x)
          .addAttribute(OnnxGraph.real("alpha", (float) ((ActivationLReLU) fn).getAlpha()))),
      Map.entry(ActivationSigmoid.class, (g, name, fn, x) -> g.node("Sigmoid", name, name, x)),
      Map.entry(ActivationTanH.class, (g, name, fn, x) -> g.node("Tanh", name, name, x)),
      Map.entry(ActivationSoftmax.class, (g, name, fn, x) -> g.node("Softmax", name, name, x)
          .addAttribute(OnnxGraph.integer("axis", 1))),
      // DL4J's hard sigmoid is Keras 2's: clip(0.2·x + 0.5, 0, 1)
      Map.entry(ActivationHardSigmoid.class, (g, name, fn, x) -> hardSigmoid(g, name, x, 0.2f)),
      Map.entry(dev.kiln.maven.blocks.ActivationScaledHardSigmoid.class, (g, name, fn, x) -> {
        var h = (dev.kiln.maven.blocks.ActivationScaledHardSigmoid) fn;
        g.node("HardSigmoid", name, name, x)
            .addAttribute(OnnxGraph.real("alpha", (float) h.alpha()))
            .addAttribute(OnnxGraph.real("beta", (float) h.beta()));
      }),
      Map.entry(ActivationSwish.class, (g, name, fn, x) -> {
        g.node("Sigmoid", name + "_gate", name + "_gate", x);
        g.node("Mul", name, name, x, name + "_gate");
      }),
      Map.entry(ActivationHardSwish.class, (g, name, fn, x) -> {
        hardSigmoid(g, name + "_gate", x, 1f / 6f);
        g.node("Mul", name, name, x, name + "_gate");
      }));

  private ActivationConverters() {}

  private static void hardSigmoid(OnnxGraph g, String name, String x, float alpha) {
    g.node("HardSigmoid", name, name, x).addAttribute(OnnxGraph.real("alpha", alpha))
        .addAttribute(OnnxGraph.real("beta", 0.5f));
  }

  /**
   * @param name the output tensor's name
   * @param fn the activation (null: identity)
   * @param x its input
   * @return {@code name}, or {@code x} when the activation is the identity and {@code x} is
   *     already {@code name}
   * @throws UnsupportedOperationException naming the layer and the supported activations
   */
  static String write(OnnxGraph g, String name, IActivation fn, String x) {
    if ((fn == null || fn instanceof ActivationIdentity) && x.equals(name)) {
      return x;
    }
    ActivationConverter c = REGISTRY.get(fn == null ? ActivationIdentity.class : fn.getClass());
    if (c == null) {
      throw new UnsupportedOperationException("layer '" + name + "' uses activation "
          + fn.getClass().getSimpleName() + ", which the ONNX exporter does not support;"
          + " supported: " + REGISTRY.keySet().stream().map(Class::getSimpleName).sorted()
              .toList());
    }
    c.write(g, name, fn, x);
    return name;
  }
}
