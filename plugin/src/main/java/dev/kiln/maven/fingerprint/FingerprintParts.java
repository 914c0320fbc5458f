package dev.kiln.maven.fingerprint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a fingerprint is made of: the plugin version, the model-changing settings by name, the
 * backbone file's SHA-256 and every photo's SHA-256 by {@code train:}/{@code val:} relative path.
 * Kept beside the model ({@code target/kiln/fingerprint-parts.json}) so that the next build can
 * say why it retrains ({@link #changesSince}).
 *
 * @param pluginVersion the plugin's version
 * @param settings {@code group.name → value}, sorted
 * @param backboneSha256 the backbone weights file's hash
 * @param photos {@code train:cats/a.jpg → SHA-256}, sorted
 */
public record FingerprintParts(String pluginVersion, Map<String, String> settings,
    String backboneSha256, Map<String, String> photos) {

  /** Photos named in a change line before "and N more". */
  static final int NAMED = 5;

  /** Validates and sorts. */
  public FingerprintParts {
    Objects.requireNonNull(pluginVersion, "pluginVersion");
    Objects.requireNonNull(backboneSha256, "backboneSha256");
    settings = Collections.unmodifiableMap(new TreeMap<>(settings));
    photos = Collections.unmodifiableMap(new TreeMap<>(photos));
  }

  /** @return the fingerprint: lower-case hex SHA-256 over every part */
  public String hash() {
    return Fingerprint.hash(this);
  }

  /**
   * @param previous the kept model's parts
   * @return what changed since them, e.g. {@code "1 photo changed (cats/cat.4001.jpg), 0
   *     added, 0 removed; settings changed: mode, epochs"}; empty when nothing did
   */
  public String changesSince(FingerprintParts previous) {
    List<String> out = new ArrayList<>();
    List<String> changed = new ArrayList<>();
    List<String> added = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    photos.forEach((k, v) -> {
      String before = previous.photos.get(k);
      if (before == null) {
        added.add(k);
      } else if (!before.equals(v)) {
        changed.add(k);
      }
    });
    previous.photos.keySet().stream().filter(k -> !photos.containsKey(k)).forEach(removed::add);
    if (!changed.isEmpty() || !added.isEmpty() || !removed.isEmpty()) {
      out.add(dev.kiln.maven.text.Count.of(changed.size(), "photo") + " changed"
          + named(changed) + ", " + added.size() + " added" + named(added) + ", "
          + removed.size() + " removed" + named(removed));
    }
    List<String> settingNames = new ArrayList<>();
    TreeMap<String, String> all = new TreeMap<>(previous.settings);
    all.putAll(settings);
    for (String k : all.keySet()) {
      if (!Objects.equals(settings.get(k), previous.settings.get(k))) {
        settingNames.add(k.substring(k.indexOf('.') + 1));
      }
    }
    if (!settingNames.isEmpty()) {
      out.add("settings changed: " + String.join(", ", settingNames));
    }
    if (!backboneSha256.equals(previous.backboneSha256)) {
      out.add("backbone file changed (SHA-256 " + abbreviate(previous.backboneSha256) + " → "
          + abbreviate(backboneSha256) + ")");
    }
    if (!pluginVersion.equals(previous.pluginVersion)) {
      out.add("plugin version changed (" + previous.pluginVersion + " → " + pluginVersion + ")");
    }
    return String.join("; ", out);
  }

  private static String named(List<String> paths) {
    if (paths.isEmpty()) {
      return "";
    }
    String shown = String.join(", ", paths.subList(0, Math.min(NAMED, paths.size())).stream()
        .map(k -> k.substring(k.indexOf(':') + 1)).toList()); // train:/val: dropped
    return " (" + shown + (paths.size() > NAMED ? " and " + (paths.size() - NAMED) + " more"
        : "") + ")";
  }

  private static String abbreviate(String sha) {
    return sha.length() > 12 ? sha.substring(0, 12) : sha;
  }

  /** @return the parts as JSON */
  public String toJson() {
    ObjectMapper m = new ObjectMapper();
    ObjectNode root = m.createObjectNode();
    root.put("version", 1);
    root.put("pluginVersion", pluginVersion);
    root.put("backboneSha256", backboneSha256);
    ObjectNode s = root.putObject("settings");
    settings.forEach(s::put);
    ObjectNode p = root.putObject("photos");
    photos.forEach(p::put);
    try {
      return m.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * @param file a file written from {@link #toJson()}
   * @return the parts, or null when the file is missing or not readable as parts
   */
  public static FingerprintParts read(Path file) {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      JsonNode root = new ObjectMapper().readTree(file.toFile());
      if (root.path("version").asInt() != 1) {
        return null;
      }
      return new FingerprintParts(root.path("pluginVersion").asText(),
          strings(root.path("settings")), root.path("backboneSha256").asText(),
          strings(root.path("photos")));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static Map<String, String> strings(JsonNode object) {
    Map<String, String> out = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> i = object.fields(); i.hasNext(); ) {
      Map.Entry<String, JsonNode> e = i.next();
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }
}
