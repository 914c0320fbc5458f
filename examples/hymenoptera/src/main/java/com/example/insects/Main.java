package com.example.insects;

import dev.kiln.runtime.KilnException;
import java.nio.file.Path;

/** Classifies the photos given on the command line with the classifier trained by the build. */
public final class Main {

  public static void main(String[] args) throws KilnException {
    try (InsectClassifier classifier = InsectClassifier.load()) {
      System.out.println("Running on " + classifier.device());
      for (String arg : args) {
        try {
          InsectClassifier.Result result = classifier.classify(Path.of(arg));
          System.out.printf("%s: %s %.1f%%%n", Path.of(arg).getFileName(),
              result.best().label(), result.best().probability() * 100);
        } catch (KilnException e) {
          System.out.println(Path.of(arg).getFileName() + ": " + e.getMessage());
        }
      }
    }
  }
}
