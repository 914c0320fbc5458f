package dev.kiln.runtime.internal;

import dev.kiln.runtime.image.ImageDecoder;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.Random;

/**
 * Training-time augmentation, as data: random resized crop, horizontal flip, small rotation and
 * brightness/contrast/saturation jitter. Applied on top of the one preprocessing pipeline (never
 * to validation or test images): {@link #apply} takes a decoded image and returns it fitted to the
 * input size like {@link Preprocessor#fit}.
 *
 * @param minCropArea smallest area fraction kept by the random resized crop (1 = no crop)
 * @param flip mirror left-right with probability ½
 * @param rotationDegrees maximum rotation either way (0 = none)
 * @param brightness maximum relative brightness change (0 = none)
 * @param contrast maximum relative contrast change (0 = none)
 * @param saturation maximum relative saturation change (0 = none)
 */
public record Augmentation(double minCropArea, boolean flip, double rotationDegrees,
    double brightness, double contrast, double saturation) {

  public Augmentation {
    if (!(minCropArea > 0 && minCropArea <= 1)) {
      throw new IllegalArgumentException("minCropArea must be in (0, 1], was " + minCropArea);
    }
    if (rotationDegrees < 0 || rotationDegrees > 45) {
      throw new IllegalArgumentException("rotationDegrees must be in [0, 45], was " + rotationDegrees);
    }
    for (double v : new double[] {brightness, contrast, saturation}) {
      if (v < 0 || v >= 1) {
        throw new IllegalArgumentException("colour jitter must be in [0, 1), was " + v);
      }
    }
  }

  /** @return the defaults: crop to 60–100 % of the area, flip, ±10°, ±20 % colour jitter */
  public static Augmentation defaults() {
    return new Augmentation(0.6, true, 10, 0.2, 0.2, 0.2);
  }

  /** Keys of the text form, in order. */
  private static final java.util.List<String> KEYS =
      java.util.List.of("crop", "flip", "rotate", "brightness", "contrast", "saturation");

  /**
   * Parses the text form {@code key=value;...} (see {@link #toSpec()}); keys left out keep their
   * {@link #defaults()}, so {@code "flip=false;rotate=0"} is the defaults without flips and
   * rotation, and {@code "none"} turns every transform off.
   *
   * @param spec e.g. {@code crop=0.8;flip=true;rotate=5;brightness=0.1;contrast=0.1;saturation=0}
   * @return the augmentation
   * @throws IllegalArgumentException naming the bad key or value and the valid keys
   */
  public static Augmentation parse(String spec) {
    Augmentation d = defaults();
    if (spec == null || spec.isBlank()) {
      return d;
    }
    if (spec.trim().equalsIgnoreCase("none")) {
      return new Augmentation(1, false, 0, 0, 0, 0);
    }
    double crop = d.minCropArea;
    boolean flip = d.flip;
    double rotate = d.rotationDegrees;
    double brightness = d.brightness;
    double contrast = d.contrast;
    double saturation = d.saturation;
    for (String part : spec.split("[;,]")) {
      if (part.isBlank()) {
        continue;
      }
      String[] kv = part.split("=", 2);
      String key = kv[0].trim().toLowerCase(java.util.Locale.ROOT);
      if (kv.length != 2 || !KEYS.contains(key)) {
        throw new IllegalArgumentException("augmentation entry '" + part.trim()
            + "' is not key=value with a known key; valid keys: " + KEYS + ", e.g. "
            + defaults().toSpec());
      }
      String value = kv[1].trim();
      try {
        switch (key) {
          case "crop" -> crop = Double.parseDouble(value);
          case "flip" -> {
            if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
              throw new IllegalArgumentException("augmentation flip must be true or false, was '"
                  + value + "'");
            }
            flip = Boolean.parseBoolean(value);
          }
          case "rotate" -> rotate = Double.parseDouble(value);
          case "brightness" -> brightness = Double.parseDouble(value);
          case "contrast" -> contrast = Double.parseDouble(value);
          default -> saturation = Double.parseDouble(value);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("augmentation " + key + " must be a number, was '"
            + value + "'", e);
      }
    }
    return new Augmentation(crop, flip, rotate, brightness, contrast, saturation);
  }

  /** @return a stable text form, part of cache keys */
  public String toSpec() {
    return "crop=" + minCropArea + ";flip=" + flip + ";rotate=" + rotationDegrees + ";brightness="
        + brightness + ";contrast=" + contrast + ";saturation=" + saturation;
  }

  /**
   * @param decoded an upright RGB image from {@link ImageDecoder}
   * @param spec the model's preprocessing (input size and resize policy)
   * @param random the source of randomness (seed it per image and variant for reproducibility)
   * @return an augmented image of exactly the input size
   */
  public BufferedImage apply(BufferedImage decoded, Preprocessing spec, Random random) {
    BufferedImage img = ImageDecoder.toRgb(decoded);
    int w = img.getWidth();
    int h = img.getHeight();
    if (minCropArea < 1) {
      double area = minCropArea + random.nextDouble() * (1 - minCropArea);
      double logRatio = Math.log(3.0 / 4) + random.nextDouble() * (Math.log(4.0 / 3) - Math.log(3.0 / 4));
      double ratio = Math.exp(logRatio);
      int cw = (int) Math.min(w, Math.round(Math.sqrt(area * w * h * ratio)));
      int ch = (int) Math.min(h, Math.round(Math.sqrt(area * w * h / ratio)));
      cw = Math.max(1, cw);
      ch = Math.max(1, ch);
      int x = random.nextInt(w - cw + 1);
      int y = random.nextInt(h - ch + 1);
      img = img.getSubimage(x, y, cw, ch);
    }
    BufferedImage fitted = Preprocessor.fit(img, spec);
    int fw = fitted.getWidth();
    int fh = fitted.getHeight();
    boolean mirror = flip && random.nextBoolean();
    double angle = rotationDegrees == 0 ? 0
        : Math.toRadians((random.nextDouble() * 2 - 1) * rotationDegrees);
    BufferedImage out = fitted;
    if (mirror || angle != 0) {
      out = new BufferedImage(fw, fh, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = out.createGraphics();
      try {
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION,
            RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setColor(java.awt.Color.GRAY);
        g.fillRect(0, 0, fw, fh);
        AffineTransform t = new AffineTransform();
        // rotate about the centre and zoom just enough that no corner shows the fill
        double zoom = Math.abs(Math.cos(angle)) + Math.abs(Math.sin(angle));
        t.translate(fw / 2.0, fh / 2.0);
        t.rotate(angle);
        t.scale(mirror ? -zoom : zoom, zoom);
        t.translate(-fw / 2.0, -fh / 2.0);
        g.drawImage(fitted, t, null);
      } finally {
        g.dispose();
      }
    }
    if (brightness > 0 || contrast > 0 || saturation > 0) {
      jitter(out, 1 + (random.nextDouble() * 2 - 1) * brightness,
          1 + (random.nextDouble() * 2 - 1) * contrast,
          1 + (random.nextDouble() * 2 - 1) * saturation);
    }
    return out;
  }

  private static void jitter(BufferedImage img, double b, double c, double s) {
    int w = img.getWidth();
    int h = img.getHeight();
    int[] px = img.getRGB(0, 0, w, h, null, 0, w);
    double mean = 0;
    for (int p : px) {
      mean += 0.299 * ((p >> 16) & 0xff) + 0.587 * ((p >> 8) & 0xff) + 0.114 * (p & 0xff);
    }
    mean = mean / px.length * b;
    for (int i = 0; i < px.length; i++) {
      int p = px[i];
      double r = ((p >> 16) & 0xff) * b;
      double g = ((p >> 8) & 0xff) * b;
      double bl = (p & 0xff) * b;
      double gray = 0.299 * r + 0.587 * g + 0.114 * bl;
      r = (gray + (r - gray) * s - mean) * c + mean;
      g = (gray + (g - gray) * s - mean) * c + mean;
      bl = (gray + (bl - gray) * s - mean) * c + mean;
      px[i] = clamp(r) << 16 | clamp(g) << 8 | clamp(bl);
    }
    img.setRGB(0, 0, w, h, px, 0, w);
  }

  private static int clamp(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }
}
