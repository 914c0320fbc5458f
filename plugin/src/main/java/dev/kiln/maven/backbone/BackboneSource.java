package dev.kiln.maven.backbone;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code backbone} setting, typed: a {@link Catalogue} name, an {@link Url}, Maven
 * coordinates ({@link Artifact}) or a {@link LocalFile} — or {@link Several} of these, joined by
 * {@code +}. {@link #parse} decides once, at the boundary.
 */
public sealed interface BackboneSource {

  /** @param name a {@link BackboneCatalog} name, e.g. {@code mobilenet_v1_0.25_224} */
  record Catalogue(String name) implements BackboneSource {}

  /** @param uri an http(s) URL of a weights file */
  record Url(URI uri) implements BackboneSource {}

  /**
   * Maven coordinates {@code groupId:artifactId:version[:classifier[:type]]}; without a
   * classifier and type, a Kiln model attached to a build ({@code model}, {@code onnx}).
   *
   * @param groupId the group
   * @param artifactId the artifact
   * @param version the version
   * @param classifier the classifier ({@code model} by default)
   * @param type the type, i.e. the file extension ({@code onnx} by default)
   */
  record Artifact(String groupId, String artifactId, String version, String classifier,
      String type) implements BackboneSource {
    /** @return {@code g:a:v:classifier:type} */
    public String coordinates() {
      return String.join(":", groupId, artifactId, version, classifier, type);
    }
  }

  /**
   * @param file the weights file, resolved against the project folder
   * @param setting the setting as the user wrote it (for messages)
   */
  record LocalFile(Path file, String setting) implements BackboneSource {}

  /**
   * Several backbones in one model ({@code a+b}): their pooled features side by side.
   *
   * @param parts each backbone, in the order written (two or more, none itself several)
   */
  record Several(java.util.List<BackboneSource> parts) implements BackboneSource {
    public Several {
      parts = java.util.List.copyOf(parts);
      if (parts.size() < 2 || parts.stream().anyMatch(p -> p instanceof Several)) {
        throw new IllegalArgumentException("several backbones are two or more single ones");
      }
    }
  }

  /**
   * @param spec the setting: a URL, a catalogue name (unless a file of that name exists in the
   *     project), a file path, or several of these joined by {@code +}
   * @param baseDir the project folder
   * @return the typed source
   * @throws IllegalArgumentException when the setting is missing or not a valid URL
   */
  static BackboneSource parse(String spec, Path baseDir) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("no backbone configured: set it to a catalogue name"
          + " (e.g. mobilenet_v1_0.25_224), an https URL with backboneSha256, or a"
          + " keras-applications MobileNet .h5 weights file or TF.js layers model.json");
    }
    String s = spec.trim();
    if (s.contains("+") && !Files.exists(baseDir.resolve(s))) {
      java.util.List<BackboneSource> parts = new java.util.ArrayList<>();
      for (String part : s.split("\\+", -1)) {
        if (part.isBlank()) {
          throw new IllegalArgumentException("backbone '" + s + "' has an empty part: write"
              + " several backbones as a+b (catalogue names or files; a '+' inside a URL is"
              + " written %2B)");
        }
        parts.add(parse(part, baseDir));
      }
      return new Several(parts);
    }
    if (s.startsWith("http://") || s.startsWith("https://")) {
      URI uri = URI.create(s);
      if (uri.getPath() == null || uri.getPath().endsWith("/") || uri.getPath().isEmpty()) {
        throw new IllegalArgumentException("backbone URL " + s + " does not end with a file name");
      }
      return new Url(uri);
    }
    if (s.matches("[\\w.\\-]+:[\\w.\\-]+:[\\w.\\-]+(:[\\w.\\-]*(:[\\w.\\-]+)?)?")
        && !Files.exists(baseDir.resolve(s))) {
      String[] p = s.split(":");
      return new Artifact(p[0], p[1], p[2],
          p.length > 3 && !p[3].isEmpty() ? p[3] : ArtifactResolver.MODEL_CLASSIFIER,
          p.length > 4 ? p[4] : ArtifactResolver.MODEL_TYPE);
    }
    if (BackboneCatalog.find(s).isPresent() && !Files.exists(baseDir.resolve(s))) {
      return new Catalogue(s);
    }
    return new LocalFile(baseDir.resolve(s).normalize(), s);
  }
}
