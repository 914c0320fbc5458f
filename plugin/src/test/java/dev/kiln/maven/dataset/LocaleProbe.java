package dev.kiln.maven.dataset;

import java.nio.file.Path;
import java.util.List;

/** Scans a folder and prints what happened; run in a forked JVM by {@link DatasetScannerTest}. */
public final class LocaleProbe {

  private LocaleProbe() {}

  public static void main(String[] args) {
    System.out.println("file.encoding=" + System.getProperty("sun.jnu.encoding"));
    try {
      Dataset d = DatasetScanner.scan(new DatasetScanner.Request(Path.of(args[0]), List.of(),
          List.of(), 0.2, 42));
      System.out.println("labels " + d.labels());
    } catch (Exception e) {
      System.out.println("problem: " + e.getMessage());
    }
  }
}
