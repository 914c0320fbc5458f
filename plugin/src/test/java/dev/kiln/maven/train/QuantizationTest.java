package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.Fixtures;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.image.Preprocessing;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** int8 and fp16 models from a real training: they load, keep the contract, stay accurate. */
class QuantizationTest {

  static Dataset data;
  static Backbone backbone;
  static TrainingResult plain;

  @BeforeAll
  static void train() throws Exception {
    data = dev.kiln.maven.TestData.hymenoptera();
    backbone = dev.kiln.maven.TestData.mobilenet(224);
    plain = Trainer.train(TrainingRequest.builder(data, backbone).build(), ProgressListener.NONE);
  }

  static TrainingResult quantized(String kind) throws Exception {
    return Trainer.train(TrainingRequest.builder(data, backbone)
        .settings(s -> s.quantize(kind)).build(), ModesTest.PRINT);
  }

  static void contract(TrainingResult r) throws Exception {
    try (ImageClassifier c = ImageClassifier.load(r.onnx(), "q",
        ClassifierOptions.defaults().withDevice(Device.CPU))) {
      assertEquals(List.of("ants", "bees"), c.labels());
      assertEquals(Preprocessing.raw(224, Preprocessing.Resize.CENTER_CROP),
          c.metadata().preprocessing());
      assertEquals("bees", c.classify(Fixtures.hymenoptera()
          .resolve("val/bees/1032546534_06907fe3b3.jpg")).best().label());
    }
  }

  @Test
  void int8IsAThirdOfTheSizeWithinOnePointOfFloat() throws Exception {
    TrainingResult r = quantized("int8");
    TrainingResult.Quantized q = r.quantization();
    System.out.println(q.line());
    assertEquals("int8", q.kind());
    assertEquals(plain.validation().accuracy(), q.floatAccuracy(), 1e-9);
    assertTrue(q.accuracy() >= q.floatAccuracy() - 0.01, q.line());
    assertTrue(q.bytes() <= 0.3 * q.floatBytes(), q.line());
    assertEquals(q.accuracy(), r.validation().accuracy(), 1e-9, "evaluated as shipped");
    assertTrue(q.calibration().startsWith("min/max over 64 training photos"), q.calibration());
    assertEquals("int8", r.metadata().training().get("quantization"));
    contract(r);
  }

  @Test
  void fp16KeepsTheContractAndTheAccuracy() throws Exception {
    TrainingResult r = quantized("fp16");
    TrainingResult.Quantized q = r.quantization();
    System.out.println(q.line());
    assertTrue(Math.abs(q.accuracy() - q.floatAccuracy()) <= 0.015, q.line());
    assertTrue(q.bytes() < 0.6 * q.floatBytes(), q.line());
    contract(r);
  }
}
