package com.acme;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The generated class and the bundled two-backbone int8 model, as for any other model. */
class InsectsTest {

  @Test
  void recognisesABee() throws Exception {
    Path bee = Path.of(System.getProperty("kiln.fixtures"),
        "datasets/hymenoptera/val/bees/1032546534_06907fe3b3.jpg");
    try (Insects classifier = Insects.load()) {
      Insects.Result result = classifier.classify(bee);
      assertEquals(Insects.Label.BEES, result.best().label());
      assertEquals(2, result.topK(5).size());
    }
  }
}
