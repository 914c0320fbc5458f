package dev.kiln.maven.cam;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import javax.imageio.ImageIO;

/**
 * Draws a class activation map over the photo as the model saw it (its fitted input): the map,
 * a few cells a side, bilinearly upsampled to the thumbnail, scaled to [0, 1] between its lowest
 * and highest value and coloured from blue (low) through green and yellow to red (high), blended
 * at {@link #ALPHA} over the photo (the presentation of Zhou et al. 2016). A small JPEG as a
 * {@code data:} URI: the report stays one self-contained page.
 */
public final class HeatOverlay {

  /** Thumbnail side in pixels. */
  public static final int SIZE = 128;

  /** Opacity of the heat colours over the photo. */
  static final double ALPHA = 0.5;

  private HeatOverlay() {}

  /**
   * @param fitted the photo as the model saw it (its input size, after the crop or stretch)
   * @param map the activation map, {@code [rows][columns]}, aligned with {@code fitted}
   * @return the blended thumbnail, {@value #SIZE} pixels a side
   */
  public static BufferedImage draw(BufferedImage fitted, float[][] map) {
    BufferedImage out = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION,
          RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.drawImage(fitted, 0, 0, SIZE, SIZE, null);
    } finally {
      g.dispose();
    }
    double[][] up = upsample(map, SIZE);
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double[] row : up) {
      for (double v : row) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    double range = hi - lo;
    for (int y = 0; y < SIZE; y++) {
      for (int x = 0; x < SIZE; x++) {
        double v = range <= 0 ? 0 : (up[y][x] - lo) / range;
        int rgb = out.getRGB(x, y);
        int r = blend((rgb >> 16) & 0xff, jet(v, 3));
        int gr = blend((rgb >> 8) & 0xff, jet(v, 2));
        int b = blend(rgb & 0xff, jet(v, 1));
        out.setRGB(x, y, (r << 16) | (gr << 8) | b);
      }
    }
    return out;
  }

  /** @return the image as a JPEG {@code data:} URI */
  public static String dataUri(BufferedImage image) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "jpg", bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // in memory: does not happen
    }
    return "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(bytes.toByteArray());
  }

  private static int blend(int photo, double heat) {
    return (int) Math.round((1 - ALPHA) * photo + ALPHA * 255 * heat);
  }

  /** The jet colour map: red at centre 3, green 2, blue 1 (of 4 quarter-steps). */
  static double jet(double v, int centre) {
    return Math.max(0, Math.min(1, 1.5 - Math.abs(4 * v - centre)));
  }

  /**
   * Bilinear upsampling with cell centres aligned (each map cell covers an equal square of the
   * input), edges clamped.
   */
  static double[][] upsample(float[][] map, int size) {
    return upsample(map, size, size);
  }

  /** As {@link #upsample(float[][], int)}, to {@code h} rows and {@code w} columns. */
  static double[][] upsample(float[][] map, int h, int w) {
    int rows = map.length;
    int cols = map[0].length;
    double[][] out = new double[h][w];
    for (int y = 0; y < h; y++) {
      double fy = Math.max(0, Math.min(rows - 1, (y + 0.5) * rows / h - 0.5));
      int y0 = (int) Math.floor(fy);
      int y1 = Math.min(rows - 1, y0 + 1);
      double ty = fy - y0;
      for (int x = 0; x < w; x++) {
        double fx = Math.max(0, Math.min(cols - 1, (x + 0.5) * cols / w - 0.5));
        int x0 = (int) Math.floor(fx);
        int x1 = Math.min(cols - 1, x0 + 1);
        double tx = fx - x0;
        out[y][x] = (1 - ty) * ((1 - tx) * map[y0][x0] + tx * map[y0][x1])
            + ty * ((1 - tx) * map[y1][x0] + tx * map[y1][x1]);
      }
    }
    return out;
  }
}
