package com.acme.insects;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The sample project's own test: the generated class, the bundled model, a real photo. */
class InsectClassifierTest {

  @Test
  void recognisesABee() throws Exception {
    Path bee = Path.of(System.getProperty("kiln.fixtures"),
        "datasets/hymenoptera/val/bees/1032546534_06907fe3b3.jpg");
    try (InsectClassifier classifier = InsectClassifier.load()) {
      InsectClassifier.Result result = classifier.classify(bee);
      assertEquals(InsectClassifier.Label.BEES, result.best().label());
      assertEquals(2, result.topK(5).size());
    }
  }

  @Test
  void resultsCanBeBuiltWithoutAModelForTestsOfCodeThatUsesThem() {
    InsectClassifier.Result r = InsectClassifier.Result.of(0.2f, 0.8f);
    assertEquals(InsectClassifier.Label.BEES, r.best().label());
    assertEquals(0.2f, r.probability(InsectClassifier.Label.ANTS));
  }
}
