package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.suspects.UnusualPhoto;
import dev.kiln.maven.suspects.UnusualPhotos;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Which photos {@link UnusualPhotos} lists on labelled sets, per backbone: the frozen features of
 * every photo (cached like {@link NextStepsBenchmark}'s), the list with each photo's distance and
 * spread, and where the hymenoptera placeholder ({@code ants/imageNotFound.gif}) ranks.
 *
 * <pre>
 * mvn -q -pl plugin exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kiln.maven.train.UnusualPhotosBenchmark \
 *     -Dexec.args="hymenoptera/train neu_steel_defects"
 * </pre>
 */
public final class UnusualPhotosBenchmark {

  static final List<String> BACKBONES = List.of(
      "backbones/mobilenet_v1_0.25_224_keras/mobilenet_2_5_224_tf_no_top.h5",
      "backbones/mobilenet_v2_0.5_224_keras/"
          + "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5");

  public static void main(String[] args) throws Exception {
    Path fixtures = Path.of(System.getProperty("kiln.fixtures", "../../shared/fixtures"));
    Path cache = Path.of(System.getProperty("java.io.tmpdir"), "kiln-next-bench-cache");
    java.nio.file.Files.createDirectories(cache);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (String b : BACKBONES) {
        Backbone backbone = BackboneResolver.resolve(fixtures.resolve(b).toString(),
            Path.of("."), 224);
        for (String set : args) {
          NextStepsBenchmark.Features f = NextStepsBenchmark.features(fixtures
              .resolve("datasets").resolve(set), backbone, cache, pool);
          List<String> paths = Arrays.asList(f.keys());
          List<String> labels = Arrays.stream(f.y()).mapToObj(y -> f.labels().get(y)).toList();
          List<UnusualPhoto> found = UnusualPhotos.find(paths, labels, f.x(), 42);
          System.out.printf(Locale.ROOT, "%s, %s: %d photos, %d unusual%n",
              backbone.architecture().id(), set, paths.size(), found.size());
          for (int i = 0; i < found.size(); i++) {
            UnusualPhoto u = found.get(i);
            System.out.printf(Locale.ROOT, "  %d. %s (%s): distance %.3f, typical %.3f,"
                + " %.1f IQR above the upper quartile%n", i + 1, u.path(), u.label(),
                u.distance(), u.typical(), u.spread());
          }
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
