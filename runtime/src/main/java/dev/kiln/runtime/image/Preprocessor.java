package dev.kiln.runtime.image;

import dev.kiln.runtime.KilnException;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.nio.file.Path;

/**
 * The one preprocessing pipeline of Kiln: decode → orientation → RGB → fit (resize/crop) →
 * float tensor, driven by a {@link Preprocessing} value. The plugin trains through this class and
 * the runtime classifies through it, so both see the same pixels.
 *
 * <p>Resizing downsamples by successive halvings before a final bilinear step, so large photos
 * are averaged rather than aliased. Stateless and thread-safe.
 */
public final class Preprocessor {

  private Preprocessor() {}

  /**
   * Decodes a file and fits it to the spec's input size.
   *
   * @param file the image
   * @param spec the preprocessing
   * @return an RGB image of exactly the input size
   * @throws KilnException naming the file when it cannot be decoded
   */
  public static BufferedImage load(Path file, Preprocessing spec) throws KilnException {
    return fit(ImageDecoder.decode(file, Math.min(spec.width(), spec.height())), spec);
  }

  /**
   * Fits an image to the input size per the spec's resize policy.
   *
   * @param image any image (converted to RGB first when needed)
   * @param spec the preprocessing
   * @return an RGB image of exactly {@code spec.width() × spec.height()}
   */
  public static BufferedImage fit(BufferedImage image, Preprocessing spec) {
    BufferedImage src = ImageDecoder.toRgb(image);
    int sw = src.getWidth();
    int sh = src.getHeight();
    int tw = spec.width();
    int th = spec.height();
    if (spec.resize() == Preprocessing.Resize.CENTER_CROP) {
      // largest centred region with the target's aspect ratio
      double targetRatio = (double) tw / th;
      int cw = sw;
      int ch = sh;
      if ((double) sw / sh > targetRatio) {
        cw = Math.max(1, (int) Math.round(sh * targetRatio));
      } else {
        ch = Math.max(1, (int) Math.round(sw / targetRatio));
      }
      if (cw != sw || ch != sh) {
        src = src.getSubimage((sw - cw) / 2, (sh - ch) / 2, cw, ch);
        sw = cw;
        sh = ch;
      }
    }
    if (sw == tw && sh == th && src.getType() == BufferedImage.TYPE_INT_RGB
        && src.getRaster().getDataBuffer() instanceof DataBufferInt && src.getMinX() == 0
        && src.getRaster().getSampleModelTranslateX() == 0
        && src.getRaster().getSampleModelTranslateY() == 0) {
      return src;
    }
    // halve while the image is at least twice the target in both directions
    while (sw >= 2 * tw && sh >= 2 * th) {
      sw = sw / 2;
      sh = sh / 2;
      src = scale(src, sw, sh);
    }
    return scale(src, tw, th);
  }

  private static BufferedImage scale(BufferedImage src, int w, int h) {
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.drawImage(src, 0, 0, w, h, null);
    } finally {
      g.dispose();
    }
    return out;
  }

  /**
   * Writes a fitted image into a tensor buffer, per the spec's layout, channel order and
   * normalisation.
   *
   * @param fitted an image of exactly the input size (from {@link #fit})
   * @param spec the preprocessing
   * @param dst destination array
   * @param offset where this image starts in {@code dst} (batch index × {@link
   *     Preprocessing#tensorSize()})
   */
  public static void writeTensor(BufferedImage fitted, Preprocessing spec, float[] dst, int offset) {
    int w = spec.width();
    int h = spec.height();
    if (fitted.getWidth() != w || fitted.getHeight() != h) {
      throw new IllegalArgumentException("image is " + fitted.getWidth() + "x" + fitted.getHeight()
          + " but the spec needs " + w + "x" + h + "; call fit() first");
    }
    int[] pixels = fitted.getRGB(0, 0, w, h, null, 0, w);
    boolean bgr = spec.channels() == Preprocessing.ChannelOrder.BGR;
    // per channel in the model's order: (v * scale - mean) / std = v * a + b
    float[] a = spec.multipliers();
    float[] b = spec.offsets();
    int plane = w * h;
    boolean nchw = spec.layout() == Preprocessing.Layout.NCHW;
    for (int i = 0; i < plane; i++) {
      int p = pixels[i];
      float r = (p >> 16) & 0xff;
      float g = (p >> 8) & 0xff;
      float bl = p & 0xff;
      float c0 = bgr ? bl : r;
      float c2 = bgr ? r : bl;
      if (nchw) {
        dst[offset + i] = c0 * a[0] + b[0];
        dst[offset + plane + i] = g * a[1] + b[1];
        dst[offset + 2 * plane + i] = c2 * a[2] + b[2];
      } else {
        int o = offset + 3 * i;
        dst[o] = c0 * a[0] + b[0];
        dst[o + 1] = g * a[1] + b[1];
        dst[o + 2] = c2 * a[2] + b[2];
      }
    }
  }

  /**
   * Convenience: decode, fit and convert one file.
   *
   * @param file the image
   * @param spec the preprocessing
   * @return a new array of {@link Preprocessing#tensorSize()} floats
   * @throws KilnException naming the file when it cannot be decoded
   */
  public static float[] tensor(Path file, Preprocessing spec) throws KilnException {
    float[] out = new float[spec.tensorSize()];
    writeTensor(load(file, spec), spec, out, 0);
    return out;
  }
}
