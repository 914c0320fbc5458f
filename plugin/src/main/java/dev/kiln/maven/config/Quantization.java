package dev.kiln.maven.config;

/** The number format of the shipped model. */
public enum Quantization {
  /** float32, as trained. */
  NONE,
  /** Statically quantised int8 (QDQ): about a third of the size, integer kernels on the CPU. */
  INT8,
  /** float16 weights and activations, float32 at the edges: for GPUs. */
  FP16;

  /** @return the configuration id, e.g. {@code int8} */
  public String id() {
    return ConfigIds.id(this);
  }

  /**
   * @param id the configuration value
   * @return the quantisation
   * @throws IllegalArgumentException listing the valid values
   */
  public static Quantization parse(String id) {
    return ConfigIds.parse(Quantization.class, id, "quantize");
  }
}
