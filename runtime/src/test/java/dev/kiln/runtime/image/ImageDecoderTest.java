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
}
