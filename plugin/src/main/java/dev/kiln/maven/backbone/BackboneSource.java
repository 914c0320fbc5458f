package dev.kiln.maven.backbone;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code backbone} setting, typed: a {@link Catalogue} name, an {@link Url}, Maven
 * coordinates ({@link Artifact}) or a {@link LocalFile}. {@link #parse} decides once, at the
 * boundary.
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
   * @param spec the setting: a URL, a catalogue name (unless a file of that name exists in the
   *     project) or a file path
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
