package dev.kiln.maven.train;

import java.awt.image.BufferedImage;

/** Left-right mirror of a fitted image (horizontal flip), as the exported graph's flip does. */
final class Mirror {

  private Mirror() {}

  static BufferedImage of(BufferedImage src) {
    int w = src.getWidth();
    int h = src.getHeight();
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    int[] row = new int[w];
    int[] flipped = new int[w];
    for (int y = 0; y < h; y++) {
      src.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        flipped[w - 1 - x] = row[x];
      }
      out.setRGB(0, y, w, 1, flipped, 0, w);
    }
    return out;
  }
}
