package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes into the feature cache that fail, and what they leave behind. */
class FeatureCacheWritesTest {

  @TempDir
  Path dir;

  @Test
  void aFailedWriteLeavesNoTemporaryAndOldTemporariesAreRemoved() throws Exception {
    FeatureCache cache = new FeatureCache(dir, "b", "cut", "spec");
    String key = cache.key("0".repeat(64), "");
    assertTrue(cache.put(key, new float[] {1, 2}));
    String other = cache.key("1".repeat(64), "");
    Path entry = dir.resolve(other.substring(0, 2)).resolve(other + ".f32");
    Files.createDirectories(entry.resolve("in-the-way")); // the move into place fails
    assertFalse(cache.put(other, new float[] {3, 4}));
    try (var files = Files.walk(dir)) {
      assertEquals(List.of(), files.filter(p -> p.toString().endsWith(".tmp")).toList(),
          "a failed write removes its temporary");
    }

    // what earlier failed writes (a full disk, a killed build) left
    Path shard = dir.resolve(key.substring(0, 2));
    Path old = Files.createFile(shard.resolve(".k1.tmp"));
    Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(FeatureCache.STALE)
        .minusSeconds(60)));
    Path young = Files.createFile(shard.resolve(".k2.tmp"));
    assertEquals(List.of(old), FeatureCache.removeStale(dir));
    assertTrue(Files.exists(young), "maybe another build's write in progress");
    assertEquals(2, cache.get(key).length, "entries stay");
  }

  @Test
  void theKeyIsAFunctionOfThePhotosHashAndTheContext() {
    FeatureCache cache = new FeatureCache(dir, "b", "cut", "spec");
    String sha = "a".repeat(64);
    assertEquals(cache.key(sha, ""), new FeatureCache(dir, "b", "cut", "spec").key(sha, ""));
    assertFalse(cache.key(sha, "").equals(cache.key("b".repeat(64), "")));
    assertFalse(cache.key(sha, "").equals(cache.key(sha, "mirror")));
    assertFalse(cache.key(sha, "").equals(new FeatureCache(dir, "c", "cut", "spec").key(sha, "")));
  }
}
