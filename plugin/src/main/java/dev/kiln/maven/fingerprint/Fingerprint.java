package dev.kiln.maven.fingerprint;

import dev.kiln.maven.problem.UserProblemException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Map;
import java.util.TreeMap;

/**
 * The identity of a training run: dataset contents (every image's relative path and SHA-256), the
 * configuration, the backbone file and the plugin version. When it matches the previous build's,
 * the previous model is reused and nothing is trained. File hashes come from {@link FileHashes},
 * so unchanged files are not read again.
 */
public final class Fingerprint {

  private final MessageDigest digest;
  private final FileHashes hashes;

  private Fingerprint(FileHashes hashes) {
    digest = Hashes.sha256();
    this.hashes = hashes;
  }

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
    Fingerprint f = new Fingerprint(hashes);
    f.text("kiln-fingerprint-2");
    f.text(pluginVersion);
    for (Map.Entry<String, String> e : new TreeMap<>(configuration).entrySet()) {
      f.text(e.getKey() + "=" + e.getValue());
    }
    f.file(backbone);
    for (Map.Entry<String, Path> e : new TreeMap<>(images).entrySet()) {
      f.text(e.getKey());
      f.photo(e.getValue());
    }
    return Hashes.hex(f.digest);
  }

  private void text(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    digest.update(lengthPrefix(b.length));
    digest.update(b);
  }

  private void file(Path p) throws UserProblemException {
    try {
      text(hashes.sha256(p));
    } catch (IOException e) {
      throw new UserProblemException("cannot read " + p + ": " + e.getMessage(), e);
    }
  }

  /**
   * A photo that cannot be read does not stop the build: training skips and reports it like a
   * corrupt one, and the fingerprint records it as unreadable (so it changes when the photo
   * becomes readable).
   */
  private void photo(Path p) {
    try {
      text(hashes.sha256(p));
    } catch (IOException e) {
      text(UNREADABLE);
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
