package dev.kiln.runtime.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.KilnException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageDecoderTest {

  @ParameterizedTest
  @ValueSource(strings = {
      "pillow__app13-multiple.jpg", "pillow__hopper_16bit_qtables.jpg", "pillow__hopper_gray.jpg",
      "pillow__hopper_orientation_6.jpg", "pillow__hopper_orientation_8.jpg", "pillow__i_trns.png",
      "pillow__p_trns_single.png", "pillow__pil_sample_cmyk.jpg"})
  void decodesAwkwardFiles(String name) throws Exception {
    BufferedImage img = ImageDecoder.decode(Fixtures.awkward(name));
    assertEquals(BufferedImage.TYPE_INT_RGB, img.getType());
    assertTrue(img.getWidth() > 0 && img.getHeight() > 0);
    Path out = Path.of("target/decoded");
    Files.createDirectories(out);
    ImageIO.write(img, "png", out.resolve(name + ".png").toFile());
  }

  @ParameterizedTest
  @ValueSource(strings = {"pillow__truncated_jpeg.jpg", "pillow__truncated_image.png"})
  void rejectsTruncatedFilesNamingThem(String name) {
    Path file = Fixtures.awkward(name);
    KilnException e = assertThrows(KilnException.class, () -> ImageDecoder.decode(file));
    assertEquals(KilnException.Reason.IMAGE_CORRUPT, e.reason());
    assertTrue(e.getMessage().contains(name), e.getMessage());
  }

  @Test
  void everyAwkwardFileDecodesOrFailsCleanly() throws Exception {
    try (Stream<Path> files = Files.list(Fixtures.root().resolve("awkward"))) {
      for (Path f : (Iterable<Path>) files::iterator) {
        try {
          Preprocessor.tensor(f, Preprocessing.imagenet(224));
        } catch (KilnException e) {
          assertTrue(e.getMessage().contains(f.getFileName().toString()), e.getMessage());
        }
      }
    }
  }

  @Test
  void grayscaleBecomesThreeEqualChannels() throws Exception {
    BufferedImage img = ImageDecoder.decode(Fixtures.awkward("pillow__hopper_gray.jpg"));
    for (int y = 0; y < img.getHeight(); y += 7) {
      for (int x = 0; x < img.getWidth(); x += 7) {
        int p = img.getRGB(x, y);
        int r = (p >> 16) & 0xff;
        int g = (p >> 8) & 0xff;
        int b = p & 0xff;
        assertTrue(r == g && g == b, "pixel " + x + "," + y + " not gray: " + r + "," + g + "," + b);
      }
    }
  }

  @Test
  void exifOrientationsSixAndEightEndUpTheSameWayUp() throws Exception {
    BufferedImage six = ImageDecoder.decode(Fixtures.awkward("pillow__hopper_orientation_6.jpg"));
    BufferedImage eight = ImageDecoder.decode(Fixtures.awkward("pillow__hopper_orientation_8.jpg"));
    BufferedImage rawSix = ImageIO.read(Fixtures.awkward("pillow__hopper_orientation_6.jpg").toFile());
    assertEquals(rawSix.getHeight(), six.getWidth(), "orientation 6 swaps width and height");
    assertEquals(six.getWidth(), eight.getWidth());
    double upright = meanAbsDiff(six, eight);
    // without orientation, the two stored images are 180 degrees apart
    BufferedImage rawEight = ImageIO.read(Fixtures.awkward("pillow__hopper_orientation_8.jpg").toFile());
    double stored = meanAbsDiff(ImageDecoder.toRgb(rawSix), ImageDecoder.toRgb(rawEight));
    assertTrue(upright < 6, "upright versions should match, mean diff " + upright);
    assertTrue(stored > 4 * upright, "stored " + stored + " vs upright " + upright);
  }

  @Test
  void cmykJpegKeepsItsColours() throws Exception {
    BufferedImage img = ImageDecoder.decode(Fixtures.awkward("pillow__pil_sample_cmyk.jpg"));
    // Pillow's own test of this file: top-left is red (C=0, M,Y>0.8, K=0), bottom-right black
    int topLeft = img.getRGB(0, 0);
    assertTrue(((topLeft >> 16) & 0xff) > 200 && ((topLeft >> 8) & 0xff) < 60
        && (topLeft & 0xff) < 60, "top-left should be red: " + Integer.toHexString(topLeft));
    int bottomRight = img.getRGB(img.getWidth() - 1, img.getHeight() - 1);
    assertTrue((bottomRight & 0xffffff) < 0x202020, "bottom-right should be black: "
        + Integer.toHexString(bottomRight));
  }

  @Test
  void transparentPaletteIsCompositedOntoWhite() throws Exception {
    BufferedImage raw = ImageIO.read(Fixtures.awkward("pillow__p_trns_single.png").toFile());
    BufferedImage img = ImageDecoder.decode(Fixtures.awkward("pillow__p_trns_single.png"));
    boolean sawTransparent = false;
    for (int y = 0; y < raw.getHeight(); y++) {
      for (int x = 0; x < raw.getWidth(); x++) {
        if ((raw.getRGB(x, y) >>> 24) == 0) {
          sawTransparent = true;
          assertEquals(0xffffff, img.getRGB(x, y) & 0xffffff);
        }
      }
    }
    assertTrue(sawTransparent, "fixture should contain transparent pixels");
  }

  @Test
  void largeImagesAreDecodedSubsampled() throws Exception {
    BufferedImage big = new BufferedImage(6000, 4000, BufferedImage.TYPE_BYTE_GRAY);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ImageIO.write(big, "jpg", bytes);
    BufferedImage img = ImageDecoder.decode(bytes.toByteArray(), "big.jpg", 224);
    assertTrue(img.getHeight() >= 448 && img.getHeight() < 900, "height " + img.getHeight());
    assertEquals(44, ImageDecoder.subsampling(20000, 20000, 224), "20000x20000 → 454x454");
    assertTrue(ImageDecoder.subsampling(20000, 20000, 0) >= 5, "full-size decode is capped");
  }

  @Test
  void emptyAndNonImageBytesFailWithReasons() {
    KilnException empty = assertThrows(KilnException.class,
        () -> ImageDecoder.decode(new byte[0], "empty.jpg", 0));
    assertEquals(KilnException.Reason.IMAGE_CORRUPT, empty.reason());
    KilnException text = assertThrows(KilnException.class,
        () -> ImageDecoder.decode("hello".getBytes(), "notes.txt", 0));
    assertEquals(KilnException.Reason.IMAGE_FORMAT_UNSUPPORTED, text.reason());
    assertTrue(text.getMessage().contains("notes.txt"));
    KilnException missing = assertThrows(KilnException.class,
        () -> ImageDecoder.decode(Path.of("no/such.jpg")));
    assertEquals(KilnException.Reason.IMAGE_UNREADABLE, missing.reason());
  }

  static double meanAbsDiff(BufferedImage a, BufferedImage b) {
    long sum = 0;
    for (int y = 0; y < a.getHeight(); y++) {
      for (int x = 0; x < a.getWidth(); x++) {
        int p = a.getRGB(x, y);
        int q = b.getRGB(x, y);
        for (int s = 0; s < 24; s += 8) {
          sum += Math.abs(((p >> s) & 0xff) - ((q >> s) & 0xff));
        }
      }
    }
    return sum / (3.0 * a.getWidth() * a.getHeight());
  }

  static double[] meanRgb(BufferedImage img) {
    double[] m = new double[3];
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        int p = img.getRGB(x, y);
        m[0] += (p >> 16) & 0xff;
        m[1] += (p >> 8) & 0xff;
        m[2] += p & 0xff;
      }
    }
    for (int i = 0; i < 3; i++) {
      m[i] /= img.getWidth() * img.getHeight();
    }
    return m;
  }

  /** A valid PNG whose header claims 50000x50000 pixels: a few hundred bytes on disk. */
  static byte[] bombPng() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(13);
    ihdr.putInt(50_000).putInt(50_000).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0)
        .put((byte) 0);
    chunk(out, "IHDR", ihdr.array());
    java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream();
    try (java.util.zip.DeflaterOutputStream d = new java.util.zip.DeflaterOutputStream(z)) {
      d.write(new byte[1 + 3 * 50_000]); // one row of zeros: the rest is missing
    }
    chunk(out, "IDAT", z.toByteArray());
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    java.nio.ByteBuffer len = java.nio.ByteBuffer.allocate(4).putInt(data.length);
    out.writeBytes(len.array());
    byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    out.writeBytes(t);
    out.writeBytes(data);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(t);
    crc.update(data);
    out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  @Test
  void aHugeImageIsRejectedAsTooLargeNotAsCorrupt() throws Exception {
    KilnException e = assertThrows(KilnException.class,
        () -> ImageDecoder.decode(bombPng(), "bomb.png", 224));
    assertEquals(KilnException.Reason.IMAGE_TOO_LARGE, e.reason());
    assertTrue(e.getMessage().contains("50000x50000 is 2,500 megapixels, more than the 500"),
        e.getMessage());
  }

  /** @return the JPEG without its DHT segments (what a Motion-JPEG frame looks like) */
  static byte[] withoutHuffmanTables(byte[] jpeg) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, 2);
    int i = 2;
    while (true) {
      int marker = jpeg[i + 1] & 0xff;
      if (marker == 0xDA) {
        out.write(jpeg, i, jpeg.length - i);
        return out.toByteArray();
      }
      int len = ((jpeg[i + 2] & 0xff) << 8) | (jpeg[i + 3] & 0xff);
      if (marker != 0xC4 && marker != 0xE0) { // no tables; an AVI1 frame has no JFIF either
        out.write(jpeg, i, 2 + len);
      }
      i += 2 + len;
    }
  }

  @Test
  void aMotionJpegFrameWithoutHuffmanTablesGetsTheStandardOnes() throws Exception {
    BufferedImage photo = ImageDecoder.decode(
        Fixtures.hymenoptera().resolve("val/bees/1032546534_06907fe3b3.jpg"));
    ByteArrayOutputStream encoded = new ByteArrayOutputStream();
    ImageIO.write(photo, "jpg", encoded); // the JDK's writer uses Annex K's standard tables
    byte[] frame = withoutHuffmanTables(encoded.toByteArray());
    assertTrue(frame.length < encoded.size(), "the DHT segments were removed");
    BufferedImage expected = ImageDecoder.decode(encoded.toByteArray(), "with tables", 0);
    BufferedImage actual = ImageDecoder.decode(frame, "mjpeg frame", 0);
    assertEquals(expected.getWidth(), actual.getWidth());
    for (int y = 0; y < expected.getHeight(); y += 37) {
      for (int x = 0; x < expected.getWidth(); x += 41) {
        assertEquals(expected.getRGB(x, y), actual.getRGB(x, y), "pixel " + x + "," + y);
      }
    }
  }
}
