package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The feature cache's size limit: least recently used entries first, recent ones never. */
class FeatureCacheLimitTest {

  @TempDir
  Path dir;

  private final Instant now = Instant.parse("2026-12-06T12:00:00Z");

  /** An entry of 1000 bytes, last used {@code hoursAgo} before {@link #now}. */
  private Path entry(String key, double hoursAgo) throws Exception {
    Path f = Files.createDirectories(dir.resolve(key.substring(0, 2))).resolve(key + ".f32");
    Files.write(f, new byte[1000]);
    Files.setLastModifiedTime(f, FileTime.from(now.minus(Duration.ofMinutes(
        Math.round(hoursAgo * 60)))));
    return f;
  }

  @Test
  void removesTheLeastRecentlyUsedUntilItFits() throws Exception {
    Path oldest = entry("aa01", 30);
    Path old = entry("ab02", 20);
    Path used = entry("ac03", 10);
    Path recent = entry("ad04", 2);
    FeatureCacheLimit.Trim t = FeatureCacheLimit.trim(dir, 2500, now);
    assertEquals(new FeatureCacheLimit.Trim(4000, 2000, 2), t);
    assertFalse(Files.exists(oldest));
    assertFalse(Files.exists(old));
    assertTrue(Files.exists(used) && Files.exists(recent));
  }

  @Test
  void entriesUsedWithinTheLastHourStayEvenOverTheLimit() throws Exception {
    Path old = entry("aa01", 5);
    List<Path> current = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      current.add(entry("b" + i + "00", 0.5)); // a build beside this one may be reading them
    }
    FeatureCacheLimit.Trim t = FeatureCacheLimit.trim(dir, 1000, now);
    assertEquals(new FeatureCacheLimit.Trim(4000, 3000, 1), t);
    assertFalse(Files.exists(old));
    current.forEach(p -> assertTrue(Files.exists(p)));
  }

  @Test
  void underTheLimitNothingGoesAndOtherFilesAreNotCounted() throws Exception {
    entry("aa01", 48);
    Files.writeString(dir.resolve("aa").resolve(".x.tmp"), "not an entry");
    assertEquals(new FeatureCacheLimit.Trim(1000, 1000, 0), FeatureCacheLimit.trim(dir, 1000,
        now));
  }

  @Test
  void aHitMarksTheEntryAsUsed() throws Exception {
    FeatureCache cache = new FeatureCache(dir, "b".repeat(64), "cut", "spec");
    String key = "c".repeat(64);
    assertTrue(cache.put(key, new float[] {1, 2}));
    Path f = dir.resolve("cc").resolve(key + ".f32");
    Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
    assertEquals(2, cache.get(key).length);
    assertTrue(Files.getLastModifiedTime(f).toInstant()
        .isAfter(Instant.parse("2026-01-01T00:00:00Z")), "get() refreshes the time the size limit reads as last use");
  }
}
