package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.runtime.Fixtures;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TF.js {@code model.json} is untrusted input: its shard paths stay inside its folder, shards
 * are regular files of exactly the declared size, and every refusal names the entry and the
 * model. Small synthetic models in a temporary folder, and the real fixtures.
 */
class TfjsWeightsTest {

  @TempDir
  Path tmp;

  /** Six float32 values 1..6: one weight dense/kernel of shape [2, 3]. */
  static byte[] sixFloats() {
    ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 1; i <= 6; i++) {
      b.putFloat(i);
    }
    return b.array();
  }

  Path model(String path, String shape) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("model"));
    Path json = dir.resolve("model.json");
    Files.writeString(json, "{\"weightsManifest\": [{\"paths\": [\"" + path + "\"],"
        + " \"weights\": [{\"name\": \"dense/kernel\", \"shape\": " + shape + ","
        + " \"dtype\": \"float32\"}]}]}");
    return json;
  }

  Path model(String path) throws Exception {
    return model(path, "[2, 3]");
  }

  UserProblemException refused(Path json, String... expected) {
    UserProblemException e = assertThrows(UserProblemException.class,
        () -> KerasWeights.read(json));
    assertTrue(e.getMessage().contains(json.toString()), e.getMessage());
    for (String s : expected) {
      assertTrue(e.getMessage().contains(s), "'" + s + "' in: " + e.getMessage());
    }
    return e;
  }

  @Test
  void aChangedShardChangesTheBuildsFingerprint() throws Exception {
    Path json = model("group1-shard1of1.bin");
    Path shard = json.resolveSibling("group1-shard1of1.bin");
    Files.write(shard, sixFloats());
    assertEquals(List.of(json, shard.toRealPath()), KerasWeights.files(json));
    Path photo = Files.writeString(tmp.resolve("a.jpg"), "photo");
    Map<String, Path> photos = Map.of("train:a/a.jpg", photo);
    String before = dev.kiln.maven.fingerprint.Fingerprint.parts(photos, Map.of(),
        KerasWeights.files(json), "1", dev.kiln.maven.fingerprint.FileHashes.load(null)).hash();
    byte[] changed = sixFloats();
    changed[0] ^= 1; // same size, other weights: model.json itself unchanged
    Files.write(shard, changed);
    String after = dev.kiln.maven.fingerprint.Fingerprint.parts(photos, Map.of(),
        KerasWeights.files(json), "1", dev.kiln.maven.fingerprint.FileHashes.load(null)).hash();
    assertNotEquals(before, after);
  }

  @Test
  void aWellFormedModelLoads() throws Exception {
    Path json = model("group1-shard1of1");
    Files.write(json.resolveSibling("group1-shard1of1"), sixFloats());
    Map<String, WeightTensor> w = KerasWeights.read(json);
    assertArrayEquals(new long[] {2, 3}, w.get("dense/kernel").shape());
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, w.get("dense/kernel").data());
  }

  @Test
  void aLinkInsideTheFolderIsFine() throws Exception {
    Path json = model("shard");
    Files.createDirectories(json.resolveSibling("data"));
    Files.write(json.resolveSibling("data/real"), sixFloats());
    Files.createSymbolicLink(json.resolveSibling("shard"), Path.of("data/real"));
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6},
        KerasWeights.read(json).get("dense/kernel").data());
  }

  @Test
  void aPathWithDotDotIsRefused() throws Exception {
    Files.write(tmp.resolve("secret"), sixFloats()); // the right size: only the path is wrong
    refused(model("../secret"), "path '../secret'", "leaves the model's folder");
    // the reproduction: /etc/passwd through enough ..
    refused(model("../../../../../../../etc/passwd"), "path '../../../../../../../etc/passwd'");
    refused(model("sub/../../secret"), "path 'sub/../../secret'");
  }

  @Test
  void anAbsolutePathIsRefused() throws Exception {
    Path secret = Files.write(tmp.resolve("secret"), sixFloats());
    refused(model(secret.toString()), "path '" + secret + "'", "absolute path");
    refused(model("/dev/zero"), "path '/dev/zero'", "absolute path");
  }

  @Test
  void aLinkLeadingOutIsRefused() throws Exception {
    Path secret = Files.write(tmp.resolve("secret"), sixFloats());
    Path json = model("shard");
    Files.createSymbolicLink(json.resolveSibling("shard"), secret);
    refused(json, "path 'shard'", "leading outside the model's folder", secret.toString());
    Files.delete(json.resolveSibling("shard"));
    Files.createSymbolicLink(json.resolveSibling("shard"), Path.of("/dev/zero"));
    refused(json, "path 'shard'", "leading outside");
    Files.delete(json.resolveSibling("shard"));
    Files.createSymbolicLink(json.resolveSibling("shard"), tmp.resolve("missing"));
    refused(json, "path 'shard'", "missing");
  }

  @Test
  // a guard, not a timing: before the fix, opening the FIFO blocked for ever in native code,
  // which only a separate thread can abandon
  @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aFifoOrAFolderIsRefusedWithoutReadingIt() throws Exception {
    Path json = model("fifo");
    Process p = new ProcessBuilder("mkfifo", json.resolveSibling("fifo").toString())
        .inheritIO().start();
    assertEquals(0, p.waitFor());
    refused(json, "path 'fifo'", "not a regular file");
    Path folder = model("folder");
    Files.createDirectories(folder.resolveSibling("folder"));
    refused(folder, "path 'folder'", "not a regular file (a folder)");
  }

  @Test
  void aShardOfTheWrongLengthIsRefusedBeforeItIsRead() throws Exception {
    Path json = model("shard");
    Files.write(json.resolveSibling("shard"), new byte[20]);
    refused(json, "'shard'", "hold 20 bytes", "need exactly 24 bytes", "dense/kernel");
    Files.write(json.resolveSibling("shard"), new byte[28]);
    refused(json, "hold 28 bytes", "need exactly 24 bytes");
  }

  @Test
  void overflowingOrNegativeShapesAreRefusedByName() throws Exception {
    Files.createDirectories(tmp.resolve("model"));
    Files.write(tmp.resolve("model/shard"), sixFloats());
    // fits a long, but no Java array (and no file Kiln reads) holds it
    refused(model("shard", "[2147483647, 2147483647]"), "weight 'dense/kernel'",
        "[2147483647,2147483647]");
    // overflows a long
    refused(model("shard", "[2147483647, 2147483647, 2147483647]"), "weight 'dense/kernel'",
        "more values than a file can hold");
    refused(model("shard", "[-2, -3]"), "weight 'dense/kernel'", "non-negative");
    refused(model("shard", "[2.5, 3]"), "weight 'dense/kernel'", "non-negative whole number");
  }

  @Test
  void uint8QuantisedWeightsAreOneBytePerValue() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("q"));
    Path json = dir.resolve("model.json");
    Files.writeString(json, "{\"weightsManifest\": [{\"paths\": [\"s\"], \"weights\": ["
        + "{\"name\": \"a/kernel\", \"shape\": [3], \"dtype\": \"float32\","
        + " \"quantization\": {\"dtype\": \"uint8\", \"min\": -1.0, \"scale\": 0.5}},"
        + "{\"name\": \"a/bias\", \"shape\": [1], \"dtype\": \"float32\"}]}]}");
    ByteBuffer b = ByteBuffer.allocate(7).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0).put((byte) 2).put((byte) 255).putFloat(7f);
    Files.write(dir.resolve("s"), b.array());
    Map<String, WeightTensor> w = KerasWeights.read(json);
    assertArrayEquals(new float[] {-1f, 0f, 126.5f}, w.get("a/kernel").data());
    assertArrayEquals(new float[] {7f}, w.get("a/bias").data());
  }

  @Test
  void theRealTfjsFixturesStillLoad() throws Exception {
    Map<String, WeightTensor> mobilenet = KerasWeights.read(Fixtures.mobilenetTfjs());
    assertTrue(mobilenet.containsKey("conv_preds/kernel"));
    Path squeeze = Fixtures.root().resolve(
        "backbones/squeezenet_v1.1_truncated_tfjs/squeezenet_model.json");
    assertArrayEquals(new long[] {3, 3, 3, 64}, KerasWeights.read(squeeze).get("conv1/kernel")
        .shape());
  }

  @Test
  void theUint8QuantisedNsfwjsMobileNetV2Loads() throws Exception {
    // the fixture's shards are named group1-shard1of1.bin while its manifest says
    // group1-shard1of1 (the unwrapping script's naming): a copy under the manifest's names
    Path from = Fixtures.root().resolve("backbones/nsfwjs_4.4.0_tfjs/mobilenet_v2");
    Path dir = Files.createDirectories(tmp.resolve("nsfw"));
    Files.copy(from.resolve("model.json"), dir.resolve("model.json"));
    Files.copy(from.resolve("group1-shard1of1.bin"), dir.resolve("group1-shard1of1"));
    Map<String, WeightTensor> w = KerasWeights.read(dir.resolve("model.json"));
    WeightTensor conv1 = w.get("Conv1/kernel");
    assertArrayEquals(new long[] {3, 3, 3, 32}, conv1.shape());
    for (float v : conv1.data()) { // min -0.873, scale 0.00667: within min .. min + 255 scale
      assertTrue(v >= -0.8734f && v <= -0.8733f + 255 * 0.0066668f, Float.toString(v));
    }
    assertEquals(266, w.size()); // every weight of the manifest
    for (Map.Entry<String, WeightTensor> e : w.entrySet()) {
      if (e.getKey().endsWith("/moving_variance")) { // a variance read as garbage would not be
        for (float v : e.getValue().data()) {
          assertTrue(v >= 0 && v < 1e4, e.getKey() + " " + v);
        }
      }
    }
  }
}
