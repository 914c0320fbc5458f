package dev.kiln.maven.backbone;

import dev.kiln.maven.files.AtomicFiles;
import dev.kiln.maven.fingerprint.Hashes;
import dev.kiln.maven.problem.UserProblemException;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The checksum list of a backbone mirror the user trusts ({@code backboneMirrorTrusted}): the file
 * {@code SHA256SUMS} beside the mirror's files, as {@code sha256sum} writes it (a line is the
 * SHA-256, whitespace, an optional {@code *} and the file name; {@code #} comments and blank lines
 * are skipped). A mirror that serves its own build of a file (re-exported, trained in house, or
 * random weights for a test) lists the file there, and a build that trusts the mirror verifies the
 * download against that line instead of the publisher's hash. A URL mirror's list is read on every
 * online build and a copy kept in the backbone cache, which offline builds ({@code -o}) read.
 */
final class MirrorChecksums {

  /** The list's name in the mirror. */
  static final String FILE = "SHA256SUMS";
  /** The largest list read (a line per file: a mirror of thousands of backbones fits). */
  private static final int MAX_BYTES = 1 << 20;

  private final String location;
  private final Map<String, String> sums;

  private MirrorChecksums(String location, Map<String, String> sums) {
    this.location = location;
    this.sums = sums;
  }

  /**
   * @param mirror the {@code backboneMirror} setting: a folder or a base URL
   * @param baseDir the folder a relative mirror folder is resolved against
   * @param cacheDir the backbone cache, where a URL mirror's list is kept for offline builds
   * @param offline true when Maven runs offline
   * @param log progress lines
   * @return the mirror's list
   * @throws UserProblemException when there is no list, it cannot be read, or a line is not one
   */
  static MirrorChecksums of(String mirror, Path baseDir, Path cacheDir, boolean offline,
      Consumer<String> log) throws UserProblemException {
    if (!mirror.contains("://")) {
      Path file = baseDir.resolve(mirror).resolve(FILE).normalize();
      if (!Files.isRegularFile(file)) {
        throw new UserProblemException("<backboneMirrorTrusted> (kiln.backboneMirrorTrusted) is"
            + " set, but the mirror folder " + file.getParent() + " has no " + FILE + ": list"
            + " the mirror's files with their SHA-256 there (in that folder: sha256sum *.h5 > "
            + FILE + "), or remove backboneMirrorTrusted to verify the publishers' hashes");
      }
      try {
        return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UserProblemException("cannot read " + file + " (" + e + "), the trusted"
            + " mirror's checksum list: make it a readable UTF-8 text file", e);
      }
    }
    String url = mirror.replaceAll("/*$", "/") + FILE;
    Path copy = cacheDir.resolve(FILE + "-" + key(url));
    if (offline) {
      if (!Files.isRegularFile(copy)) {
        throw new UserProblemException("Maven runs offline (-o), and the trusted mirror's " + url
            + " has not been read yet (no copy in " + copy + "): build once online, or use a"
            + " mirror folder");
      }
      log.accept("offline: the trusted mirror's " + FILE + " as read from " + url + " last time ("
          + copy + ")");
      return read(url, copy);
    }
    String text = download(url, copy);
    MirrorChecksums sums = parse(url, text);
    try {
      Files.createDirectories(cacheDir);
      AtomicFiles.write(copy, text);
    } catch (IOException e) {
      log.accept("could not keep a copy of " + url + " in " + copy + " for offline builds: " + e);
    }
    return sums;
  }

  /** @return the SHA-256 the mirror lists for {@code fileName} */
  Optional<String> sha256(String fileName) {
    return Optional.ofNullable(sums.get(fileName));
  }

  /** @return where the list was read from, for messages */
  String location() {
    return location;
  }

  private static MirrorChecksums read(String url, Path copy) throws UserProblemException {
    try {
      return parse(url + " (copy " + copy + ")", Files.readString(copy, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UserProblemException("cannot read " + copy + " (" + e + "), the copy of the"
          + " trusted mirror's " + url + ": delete it and build once online", e);
    }
  }

  private static String download(String url, Path copy) throws UserProblemException {
    try {
      URLConnection c = URI.create(url).toURL().openConnection();
      c.setConnectTimeout(30_000);
      c.setReadTimeout(30_000);
      c.setRequestProperty("User-Agent", "kiln-maven-plugin");
      if (c instanceof HttpURLConnection http && http.getResponseCode() != 200) {
        int status = http.getResponseCode();
        http.disconnect();
        throw new UserProblemException("<backboneMirrorTrusted> (kiln.backboneMirrorTrusted) is"
            + " set, but the mirror answers HTTP " + status + " for " + url + ": publish the"
            + " mirror's files with their SHA-256 there (sha256sum *.h5 > " + FILE + "), or"
            + " remove backboneMirrorTrusted to verify the publishers' hashes");
      }
      try (InputStream in = c.getInputStream()) {
        byte[] bytes = in.readNBytes(MAX_BYTES + 1);
        if (bytes.length > MAX_BYTES) {
          throw new UserProblemException(url + " is larger than " + MAX_BYTES + " bytes: it is"
              + " not a checksum list. Check <backboneMirror>");
        }
        return new String(bytes, StandardCharsets.UTF_8);
      }
    } catch (IOException | IllegalArgumentException e) {
      throw new UserProblemException("cannot read the trusted mirror's " + url + ": " + e
          + ". Check the network or proxy (https.proxyHost in MAVEN_OPTS) and <backboneMirror>"
          + (Files.isRegularFile(copy) ? "; offline (-o), the copy read last time is used ("
          + copy + ")" : ""), e);
    }
  }

  static MirrorChecksums parse(String location, String text) throws UserProblemException {
    Map<String, String> sums = new LinkedHashMap<>();
    String[] lines = text.split("\r?\n");
    for (int n = 1; n <= lines.length; n++) {
      String line = lines[n - 1].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      java.util.regex.Matcher m = java.util.regex.Pattern.compile(
          "([0-9a-fA-F]{64})\\s+\\*?(.+)").matcher(line);
      if (!m.matches()) {
        throw new UserProblemException(location + " line " + n + " ('" + line + "') is not a"
            + " checksum line: write the SHA-256 (64 hex digits), whitespace and the file name,"
            + " as sha256sum does; or a # comment");
      }
      String name = m.group(2).strip();
      String sha = m.group(1).toLowerCase(Locale.ROOT);
      String before = sums.putIfAbsent(name, sha);
      if (before != null && !before.equals(sha)) {
        throw new UserProblemException(location + " line " + n + " gives " + name + " the SHA-256 "
            + sha + ", but an earlier line gives it " + before + ": keep the right line");
      }
    }
    return new MirrorChecksums(location, Map.copyOf(sums));
  }

  /** @return a short name for the list's copy in the cache, one per mirror URL */
  private static String key(String url) {
    var digest = Hashes.sha256();
    digest.update(url.getBytes(StandardCharsets.UTF_8));
    return Hashes.hex(digest).substring(0, 16);
  }
}
