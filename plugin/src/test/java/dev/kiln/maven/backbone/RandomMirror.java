package dev.kiln.maven.backbone;

import dev.kiln.maven.fingerprint.Hashes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A backbone mirror folder of random weights (test support, not a test): for each catalogue name
 * given, the file the catalogue downloads ({@link BackboneCatalog.Entry#fileName}), written from
 * {@link RandomWeights} in the family's Keras layout ({@link KerasWeightsWriter}), and the
 * folder's {@code SHA256SUMS} listing them, as a company mirror publishes it. The random files
 * cannot match their publishers' hashes: a build uses them only with
 * {@code backboneMirrorTrusted} (the backbone-catalogue IT).
 *
 * <pre>
 * mvn -q -pl plugin exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kiln.maven.backbone.RandomMirror \
 *     -Dexec.args="target/random-mirror inception_v3 densenet121"
 * </pre>
 */
public final class RandomMirror {

  private RandomMirror() {}

  /** @param args the mirror folder, then catalogue names */
  public static void main(String[] args) throws Exception {
    Path folder = Path.of(args[0]);
    Files.createDirectories(folder);
    StringBuilder sums = new StringBuilder();
    for (int i = 1; i < args.length; i++) {
      BackboneCatalog.Entry e = BackboneCatalog.find(args[i]).orElseThrow(
          () -> new IllegalArgumentException("not a catalogue name"));
      long start = System.nanoTime();
      Architecture arch = e.architecture();
      // the weights do not depend on the input size: calibrated at the family's smallest
      Path file = folder.resolve(e.fileName());
      KerasWeightsWriter.write(RandomWeights.weights(arch, Math.max(32, arch.smallestInput()),
          17 + i), file);
      String sha = Hashes.sha256(file);
      sums.append(sha).append("  ").append(e.fileName()).append('\n');
      System.out.printf(Locale.ROOT, "%s: %s (%.1f MB, %.1f s)%n", e.name(), file,
          Files.size(file) / 1e6, (System.nanoTime() - start) / 1e9);
    }
    Files.writeString(folder.resolve("SHA256SUMS"), sums, StandardCharsets.UTF_8);
  }
}
