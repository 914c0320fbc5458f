package dev.kiln.runtime.image;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * How an image becomes a model input, as data. The same value drives training (plugin) and
 * classification (runtime), so both see the same pixels.
 *
 * <p>Each channel value is {@code (pixel * scale - mean[c]) / std[c]} where {@code pixel} is the
 * 8-bit value 0..255 in the given channel order. When normalisation is inside the model's graph
 * (Kiln models), scale is 1, mean 0 and std 1: the model gets raw 0..255 values.
 *
 * @param width input width in pixels
 * @param height input height in pixels
 * @param resize how the image is fitted to width × height
 * @param channels channel order fed to the model
 * @param layout tensor layout
 * @param scale factor applied to each 0..255 value first
 * @param mean per-channel value subtracted after scaling (in the model's channel order)
 * @param std per-channel divisor applied last (in the model's channel order)
 */
public record Preprocessing(
    int width,
    int height,
    Resize resize,
    ChannelOrder channels,
    Layout layout,
    float scale,
    float[] mean,
    float[] std) {

  /** How the image is fitted to the input size. */
  public enum Resize {
    /** Resize both sides to the input size, ignoring aspect ratio (Keras' default). */
    STRETCH,
    /** Keep the aspect ratio: scale the shorter side to fit, then cut the centre. */
    CENTER_CROP;

    /** @return the name in specs and settings, e.g. {@code center-crop} */
    public String id() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** Channel order of the tensor. */
  public enum ChannelOrder { RGB, BGR }

  /** Tensor layout: channels first (PyTorch, Kiln) or channels last (TensorFlow). */
  public enum Layout { NCHW, NHWC }

  public Preprocessing {
    if (width < 8 || height < 8 || width > 4096 || height > 4096) {
      throw new IllegalArgumentException(
          "input size must be between 8 and 4096 pixels, was " + width + "x" + height);
    }
    Objects.requireNonNull(resize, "resize (valid: STRETCH, CENTER_CROP)");
    Objects.requireNonNull(channels, "channels (valid: RGB, BGR)");
    Objects.requireNonNull(layout, "layout (valid: NCHW, NHWC)");
    if (!(scale > 0) || Float.isInfinite(scale)) {
      throw new IllegalArgumentException("scale must be a positive number, was " + scale);
    }
    mean = checkTriple("mean", mean);
    std = checkTriple("std", std);
    for (float s : std) {
      if (!(s > 0)) {
        throw new IllegalArgumentException("std values must be positive, was " + Arrays.toString(std));
      }
    }
  }

  private static float[] checkTriple(String name, float[] v) {
    if (v == null || v.length != 3) {
      throw new IllegalArgumentException(name + " needs exactly 3 values (one per channel)");
    }
    for (float f : v) {
      if (!Float.isFinite(f)) {
        throw new IllegalArgumentException(name + " values must be finite: " + Arrays.toString(v));
      }
    }
    return v.clone();
  }

  /** @return a copy of the per-channel means */
  @Override
  public float[] mean() {
    return mean.clone();
  }

  /** @return a copy of the per-channel standard deviations */
  @Override
  public float[] std() {
    return std.clone();
  }

  /**
   * Raw 0..255 RGB, NCHW: normalisation happens inside the model graph (how Kiln exports).
   *
   * @param size input width and height
   * @param resize fitting policy
   * @return the spec
   */
  public static Preprocessing raw(int size, Resize resize) {
    return new Preprocessing(size, size, resize, ChannelOrder.RGB, Layout.NCHW, 1f,
        new float[] {0, 0, 0}, new float[] {1, 1, 1});
  }

  /**
   * PyTorch/torchvision ImageNet style: RGB / 255, mean (0.485, 0.456, 0.406), std (0.229, 0.224,
   * 0.225), NCHW, centre crop. What ONNX model zoo classifiers expect.
   *
   * @param size input width and height (224 for most)
   * @return the spec
   */
  public static Preprocessing imagenet(int size) {
    return new Preprocessing(size, size, Resize.CENTER_CROP, ChannelOrder.RGB, Layout.NCHW,
        1f / 255f, new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});
  }

  /**
   * MobileNet/Inception ("tf") style: RGB scaled to [-1, 1].
   *
   * @param size input width and height
   * @param layout tensor layout
   * @return the spec
   */
  public static Preprocessing minusOneToOne(int size, Layout layout) {
    return new Preprocessing(size, size, Resize.STRETCH, ChannelOrder.RGB, layout,
        1f / 127.5f, new float[] {1, 1, 1}, new float[] {1, 1, 1});
  }

  /** @return true when the model gets raw 0..255 values */
  public boolean isRaw() {
    return scale == 1f && Arrays.equals(mean, new float[] {0, 0, 0})
        && Arrays.equals(std, new float[] {1, 1, 1});
  }

  /**
   * @return per channel, in the model's order, the factor {@code a = scale / std} of
   *     {@code v·a + b}: the normalisation as one multiply and one add per value
   */
  public float[] multipliers() {
    float[] a = new float[3];
    for (int c = 0; c < 3; c++) {
      a[c] = scale / std[c];
    }
    return a;
  }

  /** @return per channel the offset {@code b = −mean / std} of {@code v·a + b} */
  public float[] offsets() {
    float[] b = new float[3];
    for (int c = 0; c < 3; c++) {
      b[c] = -mean[c] / std[c];
    }
    return b;
  }

  /**
   * @return the spec as one line, e.g.
   *     {@code size=224x224;resize=center-crop;channels=RGB;layout=NCHW;scale=1.0;mean=0,0,0;std=1,1,1}
   */
  public String toSpec() {
    return "size=" + width + "x" + height
        + ";resize=" + resize.id()
        + ";channels=" + channels
        + ";layout=" + layout
        + ";scale=" + Float.toString(scale)
        + ";mean=" + join(mean)
        + ";std=" + join(std);
  }

  private static String join(float[] v) {
    return Float.toString(v[0]) + "," + Float.toString(v[1]) + "," + Float.toString(v[2]);
  }

  /**
   * Parses {@link #toSpec()}'s format.
   *
   * @param spec the spec line
   * @return the value
   * @throws IllegalArgumentException naming the bad part and the valid choices
   */
  public static Preprocessing parse(String spec) {
    return parse(spec, null);
  }

  /**
   * Parses {@link #toSpec()}'s format, where {@code resize} may be left out.
   *
   * @param spec the spec line
   * @param whenAbsent the resize when the spec names none (null: the spec must name one)
   * @return the value
   * @throws IllegalArgumentException naming the bad part and the valid choices
   */
  public static Preprocessing parse(String spec, Resize whenAbsent) {
    Map<String, String> parts = new LinkedHashMap<>();
    for (String part : spec.split(";")) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("bad preprocessing part '" + part + "' in '" + spec
            + "'; expected key=value with keys size, resize, channels, layout, scale, mean, std");
      }
      parts.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
    }
    String size = require(parts, "size", spec);
    String[] wh = size.split("x");
    if (wh.length != 2) {
      throw new IllegalArgumentException("size must be WIDTHxHEIGHT, was '" + size + "'");
    }
    return new Preprocessing(
        Integer.parseInt(wh[0]),
        Integer.parseInt(wh[1]),
        whenAbsent != null && !parts.containsKey("resize") ? whenAbsent
            : parseEnum(Resize.class, require(parts, "resize", spec).replace('-', '_'), "resize"),
        parseEnum(ChannelOrder.class, parts.getOrDefault("channels", "RGB"), "channels"),
        parseEnum(Layout.class, parts.getOrDefault("layout", "NCHW"), "layout"),
        Float.parseFloat(parts.getOrDefault("scale", "1")),
        floats(parts.getOrDefault("mean", "0,0,0"), "mean"),
        floats(parts.getOrDefault("std", "1,1,1"), "std"));
  }

  private static String require(Map<String, String> parts, String key, String spec) {
    String v = parts.get(key);
    if (v == null) {
      throw new IllegalArgumentException("preprocessing spec '" + spec + "' lacks '" + key + "'");
    }
    return v;
  }

  private static <E extends Enum<E>> E parseEnum(Class<E> type, String value, String what) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(value)) {
        return e;
      }
    }
    throw new IllegalArgumentException("unknown " + what + " '" + value + "'; valid: "
        + Arrays.toString(type.getEnumConstants()));
  }

  private static float[] floats(String csv, String what) {
    String[] p = csv.split(",");
    if (p.length != 3) {
      throw new IllegalArgumentException(what + " needs 3 comma-separated values, was '" + csv + "'");
    }
    return new float[] {Float.parseFloat(p[0]), Float.parseFloat(p[1]), Float.parseFloat(p[2])};
  }

  /** @return number of floats one image takes in the tensor */
  public int tensorSize() {
    return 3 * width * height;
  }

  /**
   * @param batch batch size
   * @return the tensor shape for a batch
   */
  public long[] shape(int batch) {
    return layout == Layout.NCHW
        ? new long[] {batch, 3, height, width}
        : new long[] {batch, height, width, 3};
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Preprocessing p && p.toSpec().equals(toSpec());
  }

  @Override
  public int hashCode() {
    return toSpec().hashCode();
  }

  @Override
  public String toString() {
    return toSpec();
  }
}
