package dev.kiln.runtime.image;

import com.drew.imaging.ImageMetadataReader;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifIFD0Directory;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.KilnException.Reason;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes image files into upright 8-bit sRGB {@link BufferedImage}s ({@code TYPE_INT_RGB}).
 *
 * <ul>
 *   <li>JPEG through TwelveMonkeys (CMYK/YCCK, 16-bit quantisation tables, APP13..., Motion-JPEG
 *       frames without Huffman tables), PNG, GIF, BMP through the JDK, TIFF through the JDK;
 *   <li>EXIF orientation (1-8) applied, read with metadata-extractor;
 *   <li>grayscale becomes three equal channels; 16-bit samples are reduced to 8 bits;
 *   <li>transparency is composited onto white (a deliberate choice: transparent pixels of
 *       cut-out product photos and logos read as background, not as black);
 *   <li>large images are decoded with subsampling so that the shorter side stays at least twice
 *       the requested size: a 20000×20000 photo never needs gigabytes;
 *   <li>truncated or corrupt data fails with {@link Reason#IMAGE_CORRUPT} naming the file; a
 *       warning the decoder recovers from (extraneous bytes before a marker) and an animated GIF
 *       (first frame used) are logged to {@link #LOGGER};
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class ImageDecoder {

  /**
   * Where a photo that decodes with a warning is reported (at {@code WARNING}, naming the image):
   * a recoverable decoder warning such as extraneous bytes before a JPEG marker, or an animated
   * GIF of which only the first frame is used. The Kiln plugin shows these in the build log.
   */
  public static final String LOGGER = ImageDecoder.class.getName();

  private static final Logger LOG = Logger.getLogger(LOGGER);

  /** Upper bound on decoded pixels after subsampling (about 64 MB as int RGB). */
  private static final long MAX_PIXELS = 16L * 1024 * 1024;

  static {
    ImageIO.setUseCache(false);
    // make the TwelveMonkeys readers visible even when ImageIO was initialised by another loader
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    try {
      Thread.currentThread().setContextClassLoader(ImageDecoder.class.getClassLoader());
      ImageIO.scanForPlugins();
    } finally {
      Thread.currentThread().setContextClassLoader(previous);
    }
  }

  /**
   * Largest image decoded, in pixels: 500 megapixels. Larger images (a PNG header can claim
   * 50000x50000 in a few bytes) are refused before any pixel is decoded; a 20000x20000 JPEG
   * (400 megapixels) still decodes, subsampled.
   */
  public static final long MAX_SOURCE_PIXELS = 500_000_000L;

  private ImageDecoder() {}

  /**
   * Decodes a file at full resolution.
   *
   * @param file the image
   * @return upright RGB image
   * @throws KilnException naming the file when it cannot be decoded
   */
  public static BufferedImage decode(Path file) throws KilnException {
    return decode(file, 0);
  }

  /**
   * Decodes a file, subsampled while its shorter side stays at least {@code 2 * minSide}.
   *
   * @param file the image
   * @param minSide the smallest side the caller needs (0: full resolution)
   * @return upright RGB image
   * @throws KilnException naming the file when it cannot be decoded
   */
  public static BufferedImage decode(Path file, int minSide) throws KilnException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new KilnException(Reason.IMAGE_UNREADABLE, "image " + file + " does not exist", e);
    } catch (IOException | OutOfMemoryError e) {
      throw new KilnException(Reason.IMAGE_UNREADABLE,
          "cannot read image " + file + ": " + e.getMessage(), e);
    }
    return decode(bytes, file.toString(), minSide);
  }

  /**
   * Decodes an image read from a stream (the stream is read to its end, not closed).
   *
   * @param in the image bytes
   * @param name how messages name the image
   * @param minSide the smallest side the caller needs (0: full resolution)
   * @return upright RGB image
   * @throws KilnException when it cannot be decoded
   */
  public static BufferedImage decode(InputStream in, String name, int minSide)
      throws KilnException {
    try {
      return decode(in.readAllBytes(), name, minSide);
    } catch (IOException e) {
      throw new KilnException(Reason.IMAGE_UNREADABLE,
          "cannot read image " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Decodes image bytes.
   *
   * @param bytes the encoded image
   * @param name how messages name the image
   * @param minSide the smallest side the caller needs (0: full resolution)
   * @return upright RGB image
   * @throws KilnException when it cannot be decoded
   */
  public static BufferedImage decode(byte[] bytes, String name, int minSide)
      throws KilnException {
    if (bytes.length == 0) {
      throw new KilnException(Reason.IMAGE_CORRUPT, "image " + name + " is empty (0 bytes)");
    }
    BufferedImage decoded = read(StandardHuffmanTables.supplyIfMissing(bytes), name, minSide);
    BufferedImage rgb = toRgb(decoded);
    int orientation = orientation(bytes);
    return orientation <= 1 ? rgb : orient(rgb, orientation);
  }

  private static BufferedImage read(byte[] bytes, String name, int minSide) throws KilnException {
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new KilnException(Reason.IMAGE_FORMAT_UNSUPPORTED, "image " + name
            + " is not in a supported format (JPEG, PNG, GIF, BMP, TIFF); convert it or exclude"
            + " it");
      }
      ImageReader reader = readers.next();
      List<String> warnings = new ArrayList<>();
      try {
        reader.setInput(in, true, true);
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        int w = reader.getWidth(0);
        int h = reader.getHeight(0);
        if (w <= 0 || h <= 0) {
          throw new KilnException(Reason.IMAGE_CORRUPT,
              "image " + name + " declares an empty size " + w + "x" + h);
        }
        if ((long) w * h > MAX_SOURCE_PIXELS) {
          throw new KilnException(Reason.IMAGE_TOO_LARGE, String.format(Locale.ROOT,
              "image %s is too large: %dx%d is %,d megapixels, more than the %,d Kiln decodes;"
                  + " downscale it (a classifier sees a few hundred pixels a side) or exclude it",
              name, w, h, (long) w * h / 1_000_000, MAX_SOURCE_PIXELS / 1_000_000));
        }
        ImageReadParam param = reader.getDefaultReadParam();
        int sub = subsampling(w, h, minSide);
        if (sub > 1) {
          param.setSourceSubsampling(sub, sub, 0, 0);
        }
        BufferedImage image = reader.read(0, param);
        for (String warning : warnings) {
          if (damage(warning)) {
            throw new KilnException(Reason.IMAGE_CORRUPT,
                "image " + name + " is damaged (" + warning + "); re-export or remove it");
          }
        }
        for (String warning : warnings) {
          // a colour profile the reader treats another way is no news about the photo's pixels:
          // said at FINE, not at every decode of an application's photos
          LOG.log(warning.toLowerCase(Locale.ROOT).contains("icc profile") ? Level.FINE
              : Level.WARNING, "image " + name + " decoded with a warning (" + warning
              + "); it is used as decoded");
        }
        if ("gif".equalsIgnoreCase(reader.getFormatName())) {
          int frames = frames(reader);
          if (frames > 1) {
            LOG.log(Level.WARNING, "image " + name + " is an animated GIF of " + frames
                + " frames: only the first frame is used");
          }
        }
        return image;
      } finally {
        reader.dispose();
      }
    } catch (KilnException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new KilnException(Reason.IMAGE_CORRUPT, "image " + name + " cannot be decoded ("
          + e.getClass().getSimpleName() + ": " + e.getMessage()
          + "); it is probably truncated or damaged: re-export or remove it", e);
    } catch (OutOfMemoryError e) {
      throw new KilnException(Reason.IMAGE_UNREADABLE,
          "image " + name + " is too large to decode in this JVM's memory", e);
    }
  }

  /**
   * Whether a decoder warning means pixels are missing or wrong (a truncated file, a broken
   * entropy-coded segment) rather than something libjpeg skips and recovers from, such as the
   * extraneous bytes before a restart marker that Motion-JPEG cameras write: those photos decode
   * whole, with a warning logged.
   */
  static boolean damage(String warning) {
    String lower = warning.toLowerCase(Locale.ROOT);
    return lower.contains("premature end") || lower.contains("truncat")
        || (lower.contains("corrupt") && !lower.contains("extraneous bytes before marker"));
  }

  /** Frames of a GIF, counted forward (the reader is seek-forward-only) after the first. */
  private static int frames(ImageReader reader) {
    int n = 1;
    try {
      while (n < 100_000) {
        reader.getWidth(n); // IndexOutOfBoundsException past the last frame
        n++;
      }
    } catch (IOException | RuntimeException e) {
      // past the last frame, or a damaged later frame: the first one decoded
    }
    return n;
  }

  static int subsampling(int w, int h, int minSide) {
    int sub = 1;
    if (minSide > 0) {
      sub = Math.max(1, Math.min(w, h) / (2 * minSide));
    }
    while ((long) (w / sub) * (h / sub) > MAX_PIXELS) {
      sub++;
    }
    return sub;
  }

  /** Converts any decoded image to opaque 8-bit sRGB, compositing transparency onto white. */
  public static BufferedImage toRgb(BufferedImage src) {
    if (src.getType() == BufferedImage.TYPE_INT_RGB) {
      return src;
    }
    BufferedImage rgb = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = rgb.createGraphics();
    try {
      if (src.getColorModel().hasAlpha()) {
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, rgb.getWidth(), rgb.getHeight());
      }
      g.drawImage(src, 0, 0, null);
    } finally {
      g.dispose();
    }
    return rgb;
  }

  static int orientation(byte[] bytes) {
    try {
      Metadata metadata = ImageMetadataReader.readMetadata(new ByteArrayInputStream(bytes));
      ExifIFD0Directory dir = metadata.getFirstDirectoryOfType(ExifIFD0Directory.class);
      if (dir != null && dir.containsTag(ExifIFD0Directory.TAG_ORIENTATION)) {
        int o = dir.getInt(ExifIFD0Directory.TAG_ORIENTATION);
        return o >= 1 && o <= 8 ? o : 1;
      }
    } catch (Exception | StackOverflowError e) {
      // unreadable metadata: the pixels are what they are
    }
    return 1;
  }

  /** Applies EXIF orientation {@code o} (2..8) so that the result is upright. */
  static BufferedImage orient(BufferedImage src, int o) {
    int w = src.getWidth();
    int h = src.getHeight();
    int[] in = src.getRGB(0, 0, w, h, null, 0, w);
    boolean swap = o >= 5;
    int ow = swap ? h : w;
    int oh = swap ? w : h;
    int[] out = new int[in.length];
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        int sx;
        int sy;
        switch (o) {
          case 2 -> { sx = w - 1 - x; sy = y; }
          case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
          case 4 -> { sx = x; sy = h - 1 - y; }
          case 5 -> { sx = y; sy = x; }
          case 6 -> { sx = y; sy = h - 1 - x; }
          case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
          case 8 -> { sx = w - 1 - y; sy = x; }
          default -> { sx = x; sy = y; }
        }
        out[y * ow + x] = in[sy * w + sx];
      }
    }
    BufferedImage result = new BufferedImage(ow, oh, BufferedImage.TYPE_INT_RGB);
    result.setRGB(0, 0, ow, oh, out, 0, ow);
    return result;
  }
}
