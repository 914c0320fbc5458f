package dev.kiln.maven.fingerprint;

import dev.kiln.maven.problem.UserProblemException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The identity of a training run: dataset contents (every image's relative path and SHA-256), the
 * configuration, the backbone file and the plugin version. When it matches the previous build's,
 * the previous model is reused and nothing is trained. File hashes come from {@link FileHashes},
 * so unchanged files are not read again.
 */
public final class Fingerprint {

  private final MessageDigest digest = Hashes.sha256();

  private Fingerprint() {}

  /**
   * @param images dataset images: relative path → file, in any order
   * @param configuration settings that change the model, by name
   * @param backbone the backbone weights file
   * @param pluginVersion this plugin's version
   * @return lower-case hex SHA-256
   * @throws UserProblemException when the backbone file cannot be read (a photo that cannot be
   *     read is recorded as unreadable)
   */
  public static String of(Map<String, Path> images, Map<String, String> configuration,
      Path backbone, String pluginVersion) throws UserProblemException {
    return of(images, configuration, backbone, pluginVersion, FileHashes.load(null));
  }

  /**
   * As {@link #of(Map, Map, Path, String)}, with file hashes remembered in {@code hashes}.
   */
  public static String of(Map<String, Path> images, Map<String, String> configuration,
      Path backbone, String pluginVersion, FileHashes hashes) throws UserProblemException {
    return parts(images, configuration, backbone, pluginVersion, hashes).hash();
  }

  /**
   * The fingerprint's parts, kept beside the model so that the next build can say what changed.
   *
   * @return the parts; {@link FingerprintParts#hash()} is {@link #of}'s value
   * @throws UserProblemException when the backbone file cannot be read
   */
  public static FingerprintParts parts(Map<String, Path> images,
      Map<String, String> configuration, Path backbone, String pluginVersion, FileHashes hashes)
      throws UserProblemException {
    return parts(images, configuration, List.of(backbone), pluginVersion, hashes);
  }

  /**
   * As {@link #parts(Map, Map, Path, String, FileHashes)}, for a backbone made of several files
   * (a TF.js {@code model.json} and its shards): a change to any of them changes the fingerprint.
   *
   * @param backbone the backbone's files, in a stable order
   */
  public static FingerprintParts parts(Map<String, Path> images,
      Map<String, String> configuration, List<Path> backbone, String pluginVersion,
      FileHashes hashes) throws UserProblemException {
    String backboneSha256;
    if (backbone.size() == 1) {
      backboneSha256 = backboneFile(hashes, backbone.get(0));
    } else {
      Fingerprint f = new Fingerprint();
      for (Path p : backbone) {
        f.text(p.getFileName().toString());
        f.text(backboneFile(hashes, p));
      }
      backboneSha256 = Hashes.hex(f.digest);
    }
    Map<String, String> photos = new TreeMap<>();
    for (Map.Entry<String, Path> e : images.entrySet()) {
      photos.put(e.getKey(), photo(hashes, e.getValue()));
    }
    return new FingerprintParts(pluginVersion, configuration, backboneSha256, photos);
  }

  private static String backboneFile(FileHashes hashes, Path file) throws UserProblemException {
    try {
      return hashes.sha256(file);
    } catch (IOException e) {
      throw new UserProblemException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** @return the fingerprint of these parts: lower-case hex SHA-256 */
  static String hash(FingerprintParts p) {
    Fingerprint f = new Fingerprint();
    f.text("kiln-fingerprint-2");
    f.text(p.pluginVersion());
    for (Map.Entry<String, String> e : p.settings().entrySet()) {
      f.text(e.getKey() + "=" + e.getValue());
    }
    f.text(p.backboneSha256());
    for (Map.Entry<String, String> e : p.photos().entrySet()) {
      f.text(e.getKey());
      f.text(e.getValue());
    }
    return Hashes.hex(f.digest);
  }

  private void text(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    digest.update(lengthPrefix(b.length));
    digest.update(b);
  }

  /**
   * A photo that cannot be read does not stop the build: training skips and reports it like a
   * corrupt one, and the fingerprint records it as unreadable (so it changes when the photo
   * becomes readable).
   */
  private static String photo(FileHashes hashes, Path p) {
    try {
      return hashes.sha256(p);
    } catch (IOException e) {
      return UNREADABLE;
    }
  }

  /** What the fingerprint records for a photo that cannot be read. */
  public static final String UNREADABLE = "unreadable";

  private static byte[] lengthPrefix(long n) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (n >>> (8 * i));
    }
    return b;
  }
}
