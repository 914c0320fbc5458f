package dev.kiln.maven.fingerprint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FingerprintPartsTest {

  @TempDir
  Path dir;

  private static FingerprintParts parts(Map<String, String> settings, Map<String, String> photos) {
    return new FingerprintParts("0.1.0", settings, "ab".repeat(32), photos);
  }

  private static Map<String, String> photos(int n) {
    Map<String, String> m = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      m.put("train:cats/cat." + (4000 + i) + ".jpg", "h" + i);
    }
    return m;
  }

  @Test
  void namesTheChangedPhoto() {
    Map<String, String> s = Map.of("training.mode", "FEATURE_EXTRACTOR");
    Map<String, String> now = photos(3);
    now.put("train:cats/cat.4001.jpg", "edited");
    assertEquals("1 photo changed (cats/cat.4001.jpg), 0 added, 0 removed",
        parts(s, now).changesSince(parts(s, photos(3))));
  }

  @Test
  void namesFivePhotosThenCountsTheRest() {
    Map<String, String> s = Map.of();
    assertEquals("0 photos changed, 7 added (cats/cat.4003.jpg, cats/cat.4004.jpg,"
        + " cats/cat.4005.jpg, cats/cat.4006.jpg, cats/cat.4007.jpg and 2 more), 0 removed",
        parts(s, photos(10)).changesSince(parts(s, photos(3))));
    assertEquals("0 photos changed, 0 added, 2 removed (cats/cat.4001.jpg, cats/cat.4002.jpg)",
        parts(s, photos(1)).changesSince(parts(s, photos(3))));
  }

  @Test
  void namesChangedSettingsBackboneAndPlugin() {
    Map<String, String> before = new LinkedHashMap<>();
    before.put("training.mode", "FEATURE_EXTRACTOR");
    before.put("optimisation.epochs", "50");
    before.put("optimisation.seed", "42");
    Map<String, String> after = new LinkedHashMap<>(before);
    after.put("training.mode", "FINE_TUNE");
    after.put("optimisation.epochs", "20");
    assertEquals("settings changed: epochs, mode",
        parts(after, photos(2)).changesSince(parts(before, photos(2))));
    FingerprintParts other = new FingerprintParts("0.2.0", before, "cd".repeat(32), photos(2));
    assertEquals("backbone file changed (SHA-256 abababababab → cdcdcdcdcdcd); plugin version"
        + " changed (0.1.0 → 0.2.0)", other.changesSince(parts(before, photos(2))));
    assertEquals("", parts(before, photos(2)).changesSince(parts(before, photos(2))));
  }

  @Test
  void keptAsJsonWithTheSameHashAsTheFingerprint() throws Exception {
    Path a = Files.writeString(dir.resolve("a.jpg"), "a");
    Path backbone = Files.writeString(dir.resolve("b.h5"), "weights");
    Map<String, String> settings = Map.of("training.mode", "AUTO", "optimisation.seed", "1");
    FingerprintParts p = Fingerprint.parts(Map.of("train:ants/a.jpg", a), settings, backbone,
        "0.1.0", FileHashes.load(null));
    assertEquals(Fingerprint.of(Map.of("train:ants/a.jpg", a), settings, backbone, "0.1.0"),
        p.hash());
    Path file = Files.writeString(dir.resolve("parts.json"), p.toJson());
    assertEquals(p, FingerprintParts.read(file));
    assertNull(FingerprintParts.read(dir.resolve("missing.json")));
    assertNull(FingerprintParts.read(Files.writeString(dir.resolve("bad.json"), "{")));
  }
}
