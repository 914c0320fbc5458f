package dev.kiln.maven.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ByteSizeTest {

  @Test
  void parsesBinaryUnits() {
    assertEquals(2L << 30, ByteSize.parse("2GB"));
    assertEquals(500L << 20, ByteSize.parse("500mb"));
    assertEquals(64L << 10, ByteSize.parse("64 K"));
    assertEquals(0, ByteSize.parse("0"));
    assertEquals(1L << 40, ByteSize.parse("1TB"));
  }

  @Test
  void aBadSizeNamesTheSettingAndTheValidForms() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
        () -> TrainConfiguration.builder().cacheMaxSize("2 gigs"));
    assertEquals("cacheMaxSize", e.setting());
    assertTrue(e.getMessage().contains("KB, MB, GB or TB"), e.getMessage());
  }
}
