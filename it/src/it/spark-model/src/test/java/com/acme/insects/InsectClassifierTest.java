package com.acme.insects;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The generated class of a model trained on Spark, on a real photo. */
class InsectClassifierTest {

  @Test
  void recognisesABee() throws Exception {
    Path bee = Path.of(System.getProperty("kiln.fixtures"),
        "datasets/hymenoptera/val/bees/1032546534_06907fe3b3.jpg");
    try (InsectClassifier classifier = InsectClassifier.load()) {
      InsectClassifier.Result result = classifier.classify(bee);
      assertEquals(InsectClassifier.Label.BEES, result.best().label());
    }
  }
}
