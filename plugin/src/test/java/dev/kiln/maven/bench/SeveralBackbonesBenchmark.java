package dev.kiln.maven.bench;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.backbone.ParallelBackbones;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.train.ProgressListener;
import dev.kiln.maven.train.Trainer;
import dev.kiln.maven.train.TrainingRequest;
import dev.kiln.maven.train.TrainingResult;
import dev.kiln.runtime.Classification;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Several backbones in one model against each alone (a harness, not a test), issue 22 item 2:
 * trained on hymenoptera {@code train/} (245 photos, the estimate from them alone) with the
 * default feature extractor at 224 px, no feature cache (seconds: the whole {@code Trainer.train},
 * after one untimed warm-up training), then measured on the untouched {@code val/} photos
 * through the runtime.
 *
 * <pre>
 * mvn -q install -DskipTests -Dkiln.it.skip
 * mvn -q -pl plugin exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.kiln.maven.bench.SeveralBackbonesBenchmark
 * </pre>
 */
public final class SeveralBackbonesBenchmark {

  private SeveralBackbonesBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path fixtures = Path.of(System.getProperty("kiln.fixtures", "../shared/fixtures"));
    if (!Files.isDirectory(fixtures)) {
      fixtures = Path.of("../../shared/fixtures");
    }
    Path hymenoptera = fixtures.resolve("datasets/hymenoptera");
    Backbone v1 = BackboneResolver.resolve(fixtures.resolve(
        "backbones/mobilenet_v1_0.25_224_keras/mobilenet_2_5_224_tf_no_top.h5"), 224);
    Backbone v2 = BackboneResolver.resolve(fixtures.resolve("backbones/mobilenet_v2_0.5_224_keras/"
        + "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5"), 224);
    Backbone sq = BackboneResolver.resolve(fixtures.resolve("backbones/squeezenet_v1.1_keras/"
        + "squeezenet_weights_tf_dim_ordering_tf_kernels_notop.h5"), 224);
    Preprocessing.Resize fit = Preprocessing.Resize.CENTER_CROP;
    Dataset train = DatasetScanner.scan(new DatasetScanner.Request(hymenoptera.resolve("train"),
        List.of(), List.of(), 0.2, 42));
    Dataset both = DatasetScanner.scan(new DatasetScanner.Request(hymenoptera, List.of(),
        List.of(), 0.2, 42));
    List<LabelledImage> val = new ArrayList<>(both.validation());
    List<Backbone> candidates = List.of(v1, v2, sq,
        ParallelBackbones.combine(List.of(v1, v2), fit),
        ParallelBackbones.combine(List.of(v1, sq), fit),
        ParallelBackbones.combine(List.of(v1, v2, sq), fit));
    // one untimed training first, so that no candidate pays for the JVM's warm-up
    Trainer.train(TrainingRequest.builder(train, v1).build(), ProgressListener.NONE);
    System.out.println("| backbone | features | estimate (train/ alone) | accuracy on val/ |"
        + " train seconds | model MB |");
    System.out.println("|---|---:|---|---:|---:|---:|");
    for (Backbone b : candidates) {
      long t0 = System.nanoTime();
      TrainingResult r = Trainer.train(TrainingRequest.builder(train, b).build(),
          ProgressListener.NONE);
      double seconds = (System.nanoTime() - t0) / 1e9;
      int right = 0;
      try (ImageClassifier c = ImageClassifier.load(r.onnx(), "bench",
          ClassifierOptions.defaults().withDevice(Device.CPU))) {
        List<Classification> out = c.classifyFiles(val.stream().map(LabelledImage::file)
            .toList());
        for (int i = 0; i < val.size(); i++) {
          right += out.get(i).best().label().equals(both.labels().get(val.get(i).label()))
              ? 1 : 0;
        }
      }
      int features = b.architecture() instanceof dev.kiln.maven.backbone.OnnxArchitecture o
          ? o.features() : (int) b.architecture().shapeAfter(b.architecture().lastFeatureLayer(),
              224)[0];
      System.out.printf(Locale.ROOT, "| %s | %d | %s | %d/%d = %.1f%% | %.1f | %.1f |%n",
          b.architecture().id(), features, r.estimate().line(), right, val.size(),
          100.0 * right / val.size(), seconds, r.onnx().length / 1e6);
    }
  }
}
