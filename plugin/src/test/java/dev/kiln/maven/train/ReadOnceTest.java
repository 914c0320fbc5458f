package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.dataset.ChangedPhotosException;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.dataset.PhotoReader;
import dev.kiln.maven.dataset.PhotoSource;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The race between reading a photo for its cache key and reading it to decode, reproduced
 * through the {@link PhotoReader} seam: a writer replaces the photo right after the build read
 * it, where the old second (decoding) read would have seen the new bytes.
 */
class ReadOnceTest {

  @TempDir
  Path dir;

  static Map<String, byte[]> entries(Path cache) throws Exception {
    Map<String, byte[]> m = new TreeMap<>();
    try (var files = Files.walk(cache)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        m.put(cache.relativize(f).toString(), Files.readAllBytes(f));
      }
    }
    return m;
  }

  @Test
  void eachEntryIsKeyedByTheBytesDecodedAndAContradictingReadFailsTheRun() throws Exception {
    Path images = dir.resolve("images");
    for (String label : List.of("ants", "bees")) {
      Files.createDirectories(images.resolve(label));
      try (var files = Files.list(Fixtures.hymenoptera().resolve("train").resolve(label))) {
        for (Path p : files.sorted().limit(4).toList()) {
          Files.copy(p, images.resolve(label).resolve(p.getFileName()));
        }
      }
    }
    Dataset data = DatasetScanner.scan(new DatasetScanner.Request(images, List.of(), List.of(),
        0.3, 1));
    Backbone backbone = dev.kiln.maven.TestData.mobilenet(128);
    Path victim = data.validation().get(0).file(); // read again by the export's parity check
    byte[] original = Files.readAllBytes(victim);
    byte[] other = Files.readAllBytes(Fixtures.hymenoptera().resolve(
        "val/ants/1053149811_f62a3410d3.jpg"));
    AtomicBoolean written = new AtomicBoolean();
    PhotoReader racing = file -> {
      byte[] bytes = Files.readAllBytes(file);
      if (file.equals(victim) && written.compareAndSet(false, true)) {
        Files.write(victim, other); // lands right after the read
      }
      return bytes;
    };
    Path cache = dir.resolve("cache");
    ChangedPhotosException e = assertThrows(ChangedPhotosException.class, () -> Trainer.train(
        TrainingRequest.builder(data, backbone).settings(s -> s.mode(Mode.FEATURE_EXTRACTOR).device(Device.CPU).cacheDir(cache)).photos(PhotoSource.FILES.withReader(racing)).build(), ProgressListener.NONE));
    assertEquals(List.of(victim.toAbsolutePath().normalize()), e.files());

    // every entry holds the features of the bytes its key names: computed afresh from the
    // original photos into a new cache, the entries are the same, bit for bit
    Files.write(victim, original);
    Path fresh = dir.resolve("fresh");
    Trainer.train(TrainingRequest.builder(data, backbone).settings(s -> s.mode(Mode.FEATURE_EXTRACTOR).device(Device.CPU).cacheDir(fresh))
        .build(), ProgressListener.NONE);
    Map<String, byte[]> raced = entries(cache);
    Map<String, byte[]> computed = entries(fresh);
    assertEquals(computed.keySet(), raced.keySet(), "no entry under a hash of bytes not decoded");
    for (String key : raced.keySet()) {
      assertArrayEquals(computed.get(key), raced.get(key), key);
    }
  }
}
