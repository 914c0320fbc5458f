package dev.kiln.runtime.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The spec's round trip, and a spec that leaves {@code resize} to its reader. */
class PreprocessingTest {

  @Test
  void specsRoundTripAndResizeMayBeLeftToTheReader() {
    Preprocessing p = Preprocessing.minusOneToOne(224, Preprocessing.Layout.NCHW);
    assertEquals(p, Preprocessing.parse(p.toSpec()));
    String noResize = "size=160x160;mean=127.5,127.5,127.5;std=127.5,127.5,127.5";
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Preprocessing.parse(noResize));
    assertTrue(e.getMessage().contains("resize"), e.getMessage());
    assertEquals(Preprocessing.Resize.STRETCH,
        Preprocessing.parse(noResize, Preprocessing.Resize.STRETCH).resize());
    assertEquals(Preprocessing.Resize.CENTER_CROP, Preprocessing.parse(
        noResize + ";resize=center-crop", Preprocessing.Resize.STRETCH).resize());
  }
}
