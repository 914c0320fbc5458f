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

  /** Collects what {@link ImageDecoder} logs while {@code body} runs. */
  static java.util.List<String> logged(ThrowingRunnable body) throws Exception {
    java.util.List<String> out = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Logger log = java.util.logging.Logger.getLogger(ImageDecoder.LOGGER);
    java.util.logging.Handler h = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        out.add(r.getLevel() + " " + r.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    log.addHandler(h);
    try {
      body.run();
    } finally {
      log.removeHandler(h);
    }
    return out;
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  /**
   * A Motion-JPEG frame as cameras write it: an {@code AVI1} APP0 instead of JFIF, no DHT,
   * restart markers, and 6 stray bytes before the second restart marker (RST1), which libjpeg
   * skips with "Corrupt JPEG data: 6 extraneous bytes before marker 0xd1".
   */
  static byte[] cameraFrame(byte[] jpeg) {
    byte[] noTables = withoutHuffmanTables(jpeg);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(noTables, 0, 2);
    byte[] avi1 = {(byte) 0xFF, (byte) 0xE0, 0, 16, 'A', 'V', 'I', '1', 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0};
    out.write(avi1, 0, avi1.length);
    int sos = 2;
    while ((noTables[sos + 1] & 0xff) != 0xDA) {
      sos += 2 + (((noTables[sos + 2] & 0xff) << 8) | (noTables[sos + 3] & 0xff));
    }
    int rst1 = -1;
    for (int i = sos; i + 1 < noTables.length; i++) {
      if ((noTables[i] & 0xff) == 0xFF && (noTables[i + 1] & 0xff) == 0xD1) {
        rst1 = i;
        break;
      }
    }
    assertTrue(rst1 > 0, "the frame has restart markers");
    out.write(noTables, 2, rst1 - 2);
    out.write(new byte[] {0x12, 0x34, 0x56, 0x78, 0x12, 0x34}, 0, 6);
    out.write(noTables, rst1, noTables.length - rst1);
    return out.toByteArray();
  }

  /** @return a 96x64 gradient encoded by the JDK (standard tables) with a restart interval */
  static byte[] jpegWithRestarts() throws Exception {
    BufferedImage img = new BufferedImage(96, 64, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 64; y++) {
      for (int x = 0; x < 96; x++) {
        img.setRGB(x, y, (x * 2 << 16) | (y * 3 << 8) | ((x + y) & 0xff));
      }
    }
    javax.imageio.ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
    javax.imageio.metadata.IIOMetadata meta = writer.getDefaultImageMetadata(
        javax.imageio.ImageTypeSpecifier.createFromRenderedImage(img), param);
    String format = "javax_imageio_jpeg_image_1.0";
    javax.imageio.metadata.IIOMetadataNode root =
        (javax.imageio.metadata.IIOMetadataNode) meta.getAsTree(format);
    javax.imageio.metadata.IIOMetadataNode dri = new javax.imageio.metadata.IIOMetadataNode("dri");
    dri.setAttribute("interval", "2");
    javax.imageio.metadata.IIOMetadataNode markers =
        (javax.imageio.metadata.IIOMetadataNode) root.getElementsByTagName("markerSequence")
            .item(0);
    markers.insertBefore(dri, markers.getFirstChild());
    meta.setFromTree(format, root);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (javax.imageio.stream.ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.write(null, new javax.imageio.IIOImage(img, null, meta), param);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  @Test
  void aCameraFrameWithExtraneousBytesDecodesWithAWarning() throws Exception {
    byte[] clean = jpegWithRestarts();
    byte[] frame = cameraFrame(clean);
    BufferedImage[] decoded = new BufferedImage[1];
    java.util.List<String> log = logged(() ->
        decoded[0] = ImageDecoder.decode(frame, "frame-0042.jpg", 0));
    BufferedImage expected = ImageDecoder.decode(clean, "clean", 0);
    assertEquals(expected.getWidth(), decoded[0].getWidth());
    for (int y = 0; y < expected.getHeight(); y += 5) {
      for (int x = 0; x < expected.getWidth(); x += 7) {
        assertEquals(expected.getRGB(x, y), decoded[0].getRGB(x, y), "pixel " + x + "," + y);
      }
    }
    assertEquals(1, log.size(), log.toString());
    assertTrue(log.get(0).startsWith("WARNING image frame-0042.jpg decoded with a warning")
        && log.get(0).contains("6 extraneous bytes before marker 0xd1"), log.get(0));
  }

  @Test
  void anAnimatedGifUsesItsFirstFrameAndSaysSo() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    javax.imageio.ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
    try (javax.imageio.stream.ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.prepareWriteSequence(null);
      for (int rgb : new int[] {0xff0000, 0x0000ff, 0x00ff00}) {
        BufferedImage frame = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < 64; i++) {
          frame.setRGB(i % 8, i / 8, rgb);
        }
        writer.writeToSequence(new javax.imageio.IIOImage(frame, null, null), null);
      }
      writer.endWriteSequence();
    } finally {
      writer.dispose();
    }
    BufferedImage[] decoded = new BufferedImage[1];
    java.util.List<String> log = logged(() ->
        decoded[0] = ImageDecoder.decode(out.toByteArray(), "dance.gif", 0));
    assertEquals(0xff0000, decoded[0].getRGB(3, 3) & 0xffffff, "the first frame");
    assertEquals(java.util.List.of("WARNING image dance.gif is an animated GIF of 3 frames: only"
        + " the first frame is used"), log);
  }
}
