package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.backbone.OnnxBackbones;
import dev.kiln.maven.backbone.ParallelBackbones;
import dev.kiln.maven.config.Mode;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.export.ParityChecker;
import dev.kiln.runtime.Classification;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Test-time flip on the stitched graphs (ONNX backbones), trained end to end through the trainer
 * on a few photos: several backbones ({@code a+b}: MobileNet v1 α0.25 and MobileNetV2 α0.5 side
 * by side) and a user's PyTorch export. The shipped graph mirrors the batch in front of the
 * backbone, so the parity reference reads its features as the photos' rows, then their mirror
 * images', and averages the head's two halves as the graph does (it once read the doubled batch
 * as rows twice as wide, and DL4J refused them).
 */
class StitchedGraphFlipTest {

  static final Path V2 = Fixtures.root().resolve("backbones/mobilenet_v2_0.5_224_keras/"
      + "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5");

  @TempDir
  static Path project;

  static Dataset data;

  @BeforeAll
  static void photos() throws Exception {
    Path images = dev.kiln.maven.TestData.copyHymenoptera(project.resolve("images"), 5);
    data = DatasetScanner.scan(new DatasetScanner.Request(images, List.of(), List.of(), 0.4, 42));
  }

  static TrainingResult trainWithFlip(Backbone backbone, String preprocessing) throws Exception {
    TrainingResult r = Trainer.train(TrainingRequest.builder(data, backbone).settings(s -> s
        .mode(Mode.FEATURE_EXTRACTOR).testTimeFlip(true).preprocessing(preprocessing)).build(),
        ProgressListener.NONE);
    System.out.printf("%s with flip: parity %.2e over %d values%n",
        backbone.architecture().id(), r.parity().maxAbsDiff(), r.parity().values());
    assertTrue(r.parity().passed(ParityChecker.TOLERANCE), "parity " + r.parity());
    assertTrue(r.parity().values() > 0, "parity compared values: " + r.parity());
    assertEquals("true", ModesTest.training(r).get("test_time_flip"));
    return r;
  }

  @Test
  void twoBackbonesWithFlipExportWithParity() throws Exception {
    Backbone both = ParallelBackbones.combine(List.of(dev.kiln.maven.TestData.mobilenet(128),
        BackboneResolver.resolve(V2.toString(), Path.of("."), 128)),
        Preprocessing.Resize.CENTER_CROP);
    TrainingResult r = trainWithFlip(both, null);
    Preprocessing spec = Preprocessing.raw(128, Preprocessing.Resize.CENTER_CROP);
    List<LabelledImage> val = data.validation();
    BufferedImage photo = Preprocessor.load(val.get(0).file(), spec);
    BufferedImage other = Preprocessor.load(val.get(val.size() - 1).file(), spec);
    try (ImageClassifier c = ImageClassifier.load(r.onnx(), "a+b flip",
        ClassifierOptions.defaults().withDevice(Device.CPU))) {
      float[] a = c.classify(photo).scores();
      float[] b = c.classify(Mirror.of(photo)).scores();
      assertEquals(a[0], b[0], 1e-5f, "a photo and its mirror image get the same prediction");
      List<Classification> batch = c.classifyImages(List.of(photo, other, Mirror.of(photo)));
      float[] alone = c.classify(other).scores();
      assertEquals(a[1], batch.get(0).scores()[1], 1e-5f, "batches pair each photo with its own"
          + " mirror");
      assertEquals(alone[1], batch.get(1).scores()[1], 1e-5f, "batches pair each photo with its"
          + " own mirror");
    }
  }

  @Test
  void aUsersOnnxBackboneWithFlipExportsWithParity() throws Exception {
    String minusOneToOne = "size=224x224;mean=127.5,127.5,127.5;std=127.5,127.5,127.5";
    Backbone user = OnnxBackbones.resolve(Fixtures.root().resolve(
        "onnx/torch/mobilenet_v2_0.5_224_torch/mobilenet_v2_0.5_224_torch.onnx"), null,
        minusOneToOne, Preprocessing.Resize.CENTER_CROP);
    trainWithFlip(user, minusOneToOne);
  }
}
