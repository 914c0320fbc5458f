package dev.kiln.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.maven.plugin.logging.SystemStreamLog;
import org.junit.jupiter.api.Test;

class MavenProgressTest {

  static final class Captured extends SystemStreamLog {
    final List<String> lines = new ArrayList<>();

    @Override
    public void info(CharSequence content) {
      lines.add(content.toString());
    }

    @Override
    public void warn(CharSequence content) {
      lines.add("WARN " + content);
    }
  }

  @Test
  void parallelBuildsStartEveryLineWithTheModule() {
    Captured log = new Captured();
    new MavenProgress(log, "insects").phase("dataset", "2 labels\n  ants 3");
    new MavenProgress(log, "insects").warn("skipped x.jpg");
    new MavenProgress(log, null).phase("head", "fitted");
    assertEquals(List.of("[insects] [dataset] 2 labels", "[insects] [dataset]   ants 3",
        "WARN [insects] skipped x.jpg", "[head] fitted"), log.lines);
  }
}
