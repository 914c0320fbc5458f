package dev.kiln.maven.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CountTest {

  @Test
  void singularForOneOnly() {
    assertEquals("1 image", Count.of(1, "image"));
    assertEquals("0 images", Count.of(0, "image"));
    assertEquals("2 images", Count.of(2, "image"));
    assertEquals("1 augmented copy", Count.of(1, "augmented copy", "augmented copies"));
    assertEquals("5 augmented copies", Count.of(5, "augmented copy", "augmented copies"));
  }
}
