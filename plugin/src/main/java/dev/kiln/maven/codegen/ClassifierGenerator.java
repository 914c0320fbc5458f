package dev.kiln.maven.codegen;

import dev.kiln.maven.problem.UserProblemException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Writes the typed classifier class ({@code com.acme.pets.PetClassifier}): a {@code Label} enum
 * from the folder names, {@code load()} from the bundled model, {@code classify(...)} overloads
 * returning typed results. The class depends on kiln-runtime only.
 */
public final class ClassifierGenerator {

  /**
   * @param className fully qualified name of the class to write
   * @param labels labels in model order
   * @param summary facts for the javadoc (metrics, backbone), or null when not trained yet
   * @param outputDir the generated-sources root
   */
  public record Request(String className, List<String> labels, String summary, Path outputDir) {
    public Request {
      Objects.requireNonNull(className, "className");
      labels = List.copyOf(labels);
      Objects.requireNonNull(outputDir, "outputDir");
    }
  }

  private ClassifierGenerator() {}

  /**
   * @param request what to generate
   * @return the written file
   * @throws UserProblemException when the class name is invalid, or two labels would be the same
   *     constant ({@link LabelNames#constants})
   */
  public static Path generate(Request request) throws UserProblemException {
    String problem = LabelNames.checkClassName(request.className());
    if (problem != null) {
      throw new UserProblemException(problem + " (setting <className>, property kiln.className)");
    }
    String source = source(request);
    int dot = request.className().lastIndexOf('.');
    Path file = request.outputDir().resolve(request.className().replace('.', '/') + ".java");
    try {
      Files.createDirectories(file.getParent());
      if (Files.exists(file) && Files.readString(file).equals(source)) {
        return file; // unchanged: keep the timestamp so the compiler has nothing to do
      }
      Path tmp = Files.createTempFile(file.getParent(), ".kiln", ".tmp");
      Files.writeString(tmp, source, StandardCharsets.UTF_8);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + file + ": " + e.getMessage(), e);
    }
    return file;
  }

  /** @return the resource path of the model for a class name */
  public static String modelResource(String className) {
    return className.replace('.', '/') + ".onnx";
  }

  static String source(Request r) throws UserProblemException {
    int dot = r.className().lastIndexOf('.');
    String pkg = r.className().substring(0, dot);
    String simple = r.className().substring(dot + 1);
    List<String> constants = LabelNames.constants(r.labels());
    StringBuilder enumBody = new StringBuilder();
    StringBuilder labelDoc = new StringBuilder();
    for (int i = 0; i < constants.size(); i++) {
      enumBody.append("    /** Images of {@code ").append(escapeDoc(r.labels().get(i)))
          .append("}. */\n    ").append(constants.get(i)).append("(")
          .append(literal(r.labels().get(i))).append(")")
          .append(i + 1 < constants.size() ? ",\n" : ";\n");
      labelDoc.append(" *   <li>{@code ").append(constants.get(i)).append("}: ")
          .append(escapeDoc(r.labels().get(i))).append("\n");
    }
    String summary = r.summary() == null
        ? " * <p>Training metrics: not trained yet; after the first build see\n"
            + " * {@code target/kiln/report.html}.\n"
        : " * <p>" + escapeDoc(r.summary()).replace("\n", "\n * ") + "\n";
    return TEMPLATE
        .replace("$PACKAGE", pkg)
        .replace("$CLASS", simple)
        .replace("$RESOURCE", literal(modelResource(r.className())))
        .replace("$LABELDOC", labelDoc.toString())
        .replace("$SUMMARY", summary)
        .replace("$ENUM", enumBody.toString());
  }

  static String literal(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  private static String escapeDoc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("*/", "*&#47;")
        .replace("@", "&#64;").replace("\\u", "\\\\u");
  }

  private static final String TEMPLATE = loadTemplate();

  private static String loadTemplate() {
    try (var in = ClassifierGenerator.class.getResourceAsStream("Classifier.java.template")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("Classifier.java.template missing from the plugin jar", e);
    }
  }
}
