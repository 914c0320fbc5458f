package dev.kiln.runtime.internal;

import dev.kiln.runtime.image.ImageDecoder;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Fixtures;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AugmentationTest {

  static int[] pixels(BufferedImage img) {
    return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
  }

  @Test
  void sameSeedSameImageDifferentSeedDifferentImage() throws Exception {
    BufferedImage photo = ImageDecoder.decode(
        Fixtures.hymenoptera().resolve("val/ants/1053149811_f62a3410d3.jpg"));
    Preprocessing spec = Preprocessing.raw(96, Preprocessing.Resize.CENTER_CROP);
    Augmentation aug = Augmentation.defaults();
    BufferedImage a = aug.apply(photo, spec, new Random(1));
    BufferedImage b = aug.apply(photo, spec, new Random(1));
    BufferedImage c = aug.apply(photo, spec, new Random(2));
    assertEquals(96, a.getWidth());
    assertEquals(96, a.getHeight());
    assertTrue(Arrays.equals(pixels(a), pixels(b)), "reproducible for a seed");
    assertFalse(Arrays.equals(pixels(a), pixels(c)), "another seed, another variant");
    assertFalse(Arrays.equals(pixels(a), pixels(Preprocessor.fit(photo, spec))),
        "differs from the plain preprocessing");
  }

  @Test
  void flipAloneMirrorsThePlainImage() throws Exception {
    BufferedImage photo = ImageDecoder.decode(Fixtures.awkward("pillow__hopper_gray.jpg"));
    Preprocessing spec = Preprocessing.raw(64, Preprocessing.Resize.STRETCH);
    Augmentation flipOnly = new Augmentation(1, true, 0, 0, 0, 0);
    BufferedImage plain = Preprocessor.fit(photo, spec);
    Random r = new Random(0);
    for (int i = 0; i < 8; i++) {
      BufferedImage out = flipOnly.apply(photo, spec, r);
      boolean same = Arrays.equals(pixels(out), pixels(plain));
      boolean mirrored = true;
      for (int y = 0; y < 64 && mirrored; y += 5) {
        for (int x = 2; x < 62; x += 5) {
          int d = Math.abs((out.getRGB(x, y) & 0xff) - (plain.getRGB(63 - x, y) & 0xff));
          mirrored &= d <= 2;
        }
      }
      assertTrue(same || mirrored, "either untouched or mirrored");
    }
  }

  @Test
  void invalidSettingsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new Augmentation(0, true, 0, 0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new Augmentation(1, true, 90, 0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new Augmentation(1, true, 0, 1.5, 0, 0));
  }

  @Test
  void parsesTheTextFormKeepingDefaultsForLeftOutKeys() {
    Augmentation d = Augmentation.defaults();
    org.junit.jupiter.api.Assertions.assertEquals(d, Augmentation.parse(d.toSpec()));
    org.junit.jupiter.api.Assertions.assertEquals(d, Augmentation.parse(""));
    Augmentation a = Augmentation.parse("flip=false; rotate=0;crop=0.8");
    org.junit.jupiter.api.Assertions.assertEquals(
        new Augmentation(0.8, false, 0, d.brightness(), d.contrast(), d.saturation()), a);
    org.junit.jupiter.api.Assertions.assertEquals(new Augmentation(1, false, 0, 0, 0, 0),
        Augmentation.parse("none"));
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> Augmentation.parse("zoom=2"));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("valid keys: [crop, flip,"),
        e.getMessage());
    e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Augmentation.parse("rotate=90"));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("rotationDegrees"),
        e.getMessage());
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Augmentation.parse("flip=yes"));
  }
}
