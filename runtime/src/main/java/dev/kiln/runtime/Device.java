package dev.kiln.runtime;

/** Where a classifier runs. */
public enum Device {
  /** Try CUDA (GPU 0); when it cannot be used, fall back to the CPU. The default. */
  AUTO,
  /** Always the CPU. */
  CPU,
  /** CUDA GPU 0; loading fails with {@link KilnException.Reason#DEVICE_UNAVAILABLE} when absent. */
  CUDA
}
