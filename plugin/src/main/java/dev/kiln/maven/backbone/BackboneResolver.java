package dev.kiln.maven.backbone;

import dev.kiln.maven.fingerprint.Hashes;
import dev.kiln.maven.problem.UserProblemException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Turns the user's {@code backbone} setting into a {@link Backbone}. The setting is a local file
 * (a keras-applications {@code .h5} weights file or a TF.js layers {@code model.json}), a
 * {@link BackboneCatalog} name such as {@code mobilenet_v1_0.25_224}, or an {@code https} URL with
 * its SHA-256; names and URLs are downloaded once into a cache ({@link BackboneDownloader}),
 * optionally from a mirror. The architecture and width are recognised from the weights.
 */
public final class BackboneResolver {

  private BackboneResolver() {}

  /**
   * Where names and URLs are fetched from.
   *
   * @param sha256 the user's SHA-256 for a URL or an unpinned catalogue name, or null
   * @param cacheDir the download cache
   * @param mirror a folder or base URL holding the files under their own names (null: the
   *     original URLs)
   * @param offline true when Maven runs offline
   * @param artifacts resolves Maven coordinates (the plugin's: Maven's repository system)
   * @param mirrorTrusted true to verify files from the mirror against the SHA-256 its
   *     {@code SHA256SUMS} lists ({@link MirrorChecksums}) instead of the publisher's or Kiln's
   *     hash; requires a mirror
   */
  public record Source(String sha256, Path cacheDir, String mirror, boolean offline,
      ArtifactResolver artifacts, boolean mirrorTrusted) {
    public Source {
      sha256 = sha256 == null || sha256.isBlank() ? null : sha256.trim();
      mirror = mirror == null || mirror.isBlank() ? null : mirror.trim();
      artifacts = artifacts == null ? ArtifactResolver.NONE : artifacts;
      if (mirrorTrusted && mirror == null) {
        throw new IllegalArgumentException("it trusts the checksum list (" + MirrorChecksums.FILE
            + ") of the mirror that <backboneMirror> names, but no backboneMirror is set: set"
            + " backboneMirror to that folder or URL, or remove backboneMirrorTrusted");
      }
    }

    /** Not trusting a mirror's own checksums. */
    public Source(String sha256, Path cacheDir, String mirror, boolean offline,
        ArtifactResolver artifacts) {
      this(sha256, cacheDir, mirror, offline, artifacts, false);
    }

    /** Without Maven artifacts. */
    public Source(String sha256, Path cacheDir, String mirror, boolean offline) {
      this(sha256, cacheDir, mirror, offline, null);
    }
  }

  /**
   * @param spec the backbone setting: a file, a catalogue name or a URL
   * @param baseDir directory relative paths (files, a mirror folder) are resolved against
   * @param source cache and mirror for names and URLs
   * @param log progress lines
   * @return the local weights file (downloaded and verified when needed)
   * @throws UserProblemException naming the setting and the accepted forms
   */
  public static Path file(String spec, Path baseDir, Source source,
      java.util.function.Consumer<String> log) throws UserProblemException {
    return file(spec, baseDir, source, log, line -> log.accept("WARNING: " + line));
  }

  /**
   * @param spec the {@code <backbone>} setting
   * @param baseDir directory relative paths are resolved against
   * @param source cache and mirror for names and URLs
   * @param log progress lines
   * @param warn warnings (e.g. a first download over plain http), for the build's warning level
   * @return the local weights file
   * @throws UserProblemException for a setting that cannot be resolved
   */
  public static Path file(String spec, Path baseDir, Source source,
      java.util.function.Consumer<String> log, java.util.function.Consumer<String> warn)
      throws UserProblemException {
    BackboneSource parsed;
    try {
      parsed = BackboneSource.parse(spec, baseDir);
    } catch (IllegalArgumentException e) {
      throw new UserProblemException(e.getMessage() + " (setting <backbone>, property"
          + " kiln.backbone)", e);
    }
    return file(parsed, baseDir, source, log, warn);
  }

  /**
   * @param backbone the typed backbone setting
   * @param baseDir directory a mirror folder is resolved against
   * @param source cache and mirror for names and URLs
   * @param log progress lines
   * @return the local weights file (downloaded and verified when needed)
   * @throws UserProblemException naming the setting and the accepted forms
   */
  public static Path file(BackboneSource backbone, Path baseDir, Source source,
      java.util.function.Consumer<String> log) throws UserProblemException {
    return file(backbone, baseDir, source, log, line -> log.accept("WARNING: " + line));
  }

  /**
   * @param backbone the typed backbone setting
   * @param baseDir directory a mirror folder is resolved against
   * @param source cache and mirror for names and URLs
   * @param log progress lines
   * @param warn warnings (e.g. a first download over plain http)
   * @return the local weights file (downloaded and verified when needed); with
   *     {@code backboneSha256} set, verified against it whatever its source
   * @throws UserProblemException naming the setting and the accepted forms
   */
  public static Path file(BackboneSource backbone, Path baseDir, Source source,
      java.util.function.Consumer<String> log, java.util.function.Consumer<String> warn)
      throws UserProblemException {
    if (backbone instanceof BackboneSource.Several) {
      throw new UserProblemException("<backbone> (kiln.backbone) names several backbones joined"
          + " by '+'; this takes one: name one catalogue name or file");
    }
    if (source.sha256() != null && !source.sha256().matches("[0-9a-fA-F]{64}")) {
      throw new UserProblemException("invalid backboneSha256 '" + source.sha256() + "': a"
          + " SHA-256 is 64 hex digits (setting <backboneSha256>, property kiln.backboneSha256)");
    }
    if (backbone instanceof BackboneSource.Url url) {
      String s = url.uri().toString();
      String fileName = s.substring(s.lastIndexOf('/') + 1);
      if (source.mirrorTrusted()) {
        return fromTrustedMirror(s, url.uri(), fileName, null, true, baseDir, source, log);
      }
      return locked(s, source.sha256(), baseDir, log, warn,
          located(url.uri(), fileName, baseDir, source),
          sha -> fetch(url.uri(), fileName, sha, null, baseDir, source, log));
    }
    if (backbone instanceof BackboneSource.Catalogue name) {
      BackboneCatalog.Entry e = BackboneCatalog.find(name.name()).orElseThrow();
      String sha = e.sha256();
      if (sha != null && source.sha256() != null && !sha.equalsIgnoreCase(source.sha256())
          && !source.mirrorTrusted()) { // a trusted mirror's list is checked against it below
        throw new UserProblemException("backboneSha256 " + source.sha256() + " differs from the"
            + " SHA-256 Kiln pins for " + e.name() + " (" + sha + "); remove <backboneSha256>");
      }
      if (source.mirrorTrusted()) {
        return fromTrustedMirror(e.name(), e.url(), e.fileName(), sha != null
            ? "the SHA-256 Kiln pins, " + sha : e.md5() != null ? "the publisher's MD5, "
            + e.md5() : null, sha == null, baseDir, source, log);
      }
      if (sha != null) {
        return fetch(e.url(), e.fileName(), sha, null, baseDir, source, log);
      }
      return locked(e.name(), source.sha256(), baseDir, log, warn, e.md5() != null ? null
          : located(e.url(), e.fileName(), baseDir, source), // the publisher's MD5 verifies it
          known -> fetch(e.url(), e.fileName(), known, e.md5(), baseDir, source, log));
    }
    if (backbone instanceof BackboneSource.Artifact artifact) {
      Path file = source.artifacts().resolve(artifact);
      log.accept("backbone " + artifact.coordinates() + ": " + file);
      return verified(file, source.sha256(), "backbone " + artifact.coordinates());
    }
    BackboneSource.LocalFile local = (BackboneSource.LocalFile) backbone;
    Path file = file(local.setting(), baseDir);
    if (source.sha256() != null && file.getFileName().toString().toLowerCase(
        java.util.Locale.ROOT).endsWith(".json")) {
      throw new UserProblemException("<backboneSha256> (kiln.backboneSha256) verifies one file,"
          + " but the TF.js model " + file + " keeps its weights in the shard files its"
          + " model.json names, which that hash would not cover: remove <backboneSha256> and keep"
          + " the model's folder under version control, or use a Keras .h5 weights file with"
          + " its SHA-256");
    }
    return verified(file, source.sha256(), "backbone file " + file);
  }

  /**
   * @param backbone the typed backbone setting: one backbone, or several joined by {@code +}
   * @param baseDir directory a mirror folder is resolved against
   * @param source cache and mirror for names and URLs
   * @param log progress lines
   * @param warn warnings (e.g. a first download over plain http)
   * @return each backbone's local weights file, in the order written
   * @throws UserProblemException naming the setting and the accepted forms
   */
  public static java.util.List<Path> files(BackboneSource backbone, Path baseDir, Source source,
      java.util.function.Consumer<String> log, java.util.function.Consumer<String> warn)
      throws UserProblemException {
    if (!(backbone instanceof BackboneSource.Several several)) {
      return java.util.List.of(file(backbone, baseDir, source, log, warn));
    }
    if (source.sha256() != null) {
      throw new UserProblemException("<backboneSha256> (kiln.backboneSha256) verifies one file,"
          + " but <backbone> names several backbones: remove backboneSha256 and use catalogue"
          + " names (Kiln pins their hashes) or files under version control");
    }
    java.util.List<Path> files = new java.util.ArrayList<>();
    for (BackboneSource part : several.parts()) {
      files.add(file(part, baseDir, source, log, warn));
    }
    return java.util.List.copyOf(files);
  }

  /** {@code file}, after checking it has the configured SHA-256 (when there is one). */
  private static Path verified(Path file, String expected, String what)
      throws UserProblemException {
    if (expected != null) {
      String actual = sha256(file);
      if (!actual.equalsIgnoreCase(expected)) {
        throw new UserProblemException(what + " has SHA-256 " + actual + ", but <backboneSha256>"
            + " (kiln.backboneSha256) is " + expected.toLowerCase(java.util.Locale.ROOT)
            + ": it is not the file the build pins (changed or replaced). Use the right file; if"
            + " the change is deliberate, set backboneSha256 to " + actual);
      }
    }
    return file;
  }

  /** A fetch that may run without a known SHA-256 (the lock records it). */
  @FunctionalInterface
  private interface Fetch {
    Path with(String sha256) throws UserProblemException;
  }

  /**
   * Fetches with the configured SHA-256, else the one {@code kiln-backbones.lock} recorded, else
   * trusting the first download and recording its hash there (with a warning when it came over
   * plain http and nothing else verified it). A recorded hash is never replaced here: only by
   * deleting its line.
   *
   * @param from where the download comes from when no publisher's hash verifies it, else null
   */
  private static Path locked(String key, String configured, Path baseDir,
      java.util.function.Consumer<String> log, java.util.function.Consumer<String> warn,
      URI from, Fetch fetch) throws UserProblemException {
    if (configured != null) {
      return fetch.with(configured);
    }
    BackboneLock lock = BackboneLock.in(baseDir);
    String recorded = lock.sha256(key);
    Path file = fetch.with(recorded);
    if (recorded == null) {
      String sha = sha256(file);
      try {
        lock.record(key, sha);
      } catch (IOException e) {
        throw new UserProblemException("cannot write " + lock.file() + ": " + e.getMessage(), e);
      }
      log.accept("no published SHA-256 for backbone " + key + ": recorded the first download's,"
          + " " + sha + ", in " + lock.file() + "; commit that file so that every later build"
          + " verifies the same weights");
      if (from != null && "http".equalsIgnoreCase(from.getScheme())) {
        warn.accept("backbone " + from + " was downloaded over plain http, which does not"
            + " protect it in transit, and its SHA-256 " + sha + " is now pinned in "
            + lock.file() + ": prefer an https URL, or set <backboneSha256> to the hash its"
            + " publisher gives");
      }
    }
    return file;
  }

  /**
   * Fetches from a trusted mirror, verified against the SHA-256 the mirror's {@code SHA256SUMS}
   * lists instead of {@code replaced} (the publisher's or Kiln's hash, which a mirror's own build
   * of the file cannot match), saying so. {@code backboneSha256} and, where the name is locked, a
   * hash {@code kiln-backbones.lock} recorded must agree with the mirror's; the first download of
   * a locked name records it there.
   *
   * @param replaced the hash no longer checked, for the log line (null: none)
   * @param lockable whether {@code key} is pinned by the lock file (no hash Kiln pins)
   */
  private static Path fromTrustedMirror(String key, URI original, String fileName,
      String replaced, boolean lockable, Path baseDir, Source source,
      java.util.function.Consumer<String> log) throws UserProblemException {
    MirrorChecksums sums = MirrorChecksums.of(source.mirror(), baseDir, source.cacheDir(),
        source.offline(), log);
    String expected = sums.sha256(fileName).orElseThrow(() -> new UserProblemException(
        "backbone " + key + ": the trusted mirror's " + sums.location() + " lists no "
        + fileName + ". Add its line (in the mirror: sha256sum " + fileName + " >> "
        + MirrorChecksums.FILE + "), or remove <backboneMirrorTrusted>"
        + " (kiln.backboneMirrorTrusted) to verify the publisher's hash"));
    if (source.sha256() != null && !source.sha256().equalsIgnoreCase(expected)) {
      throw new UserProblemException("<backboneSha256> (kiln.backboneSha256) is " + source.sha256()
          + ", but the trusted mirror's " + sums.location() + " gives " + fileName + " the"
          + " SHA-256 " + expected + ": the mirror serves another file than the build pins. Fix"
          + " the mirror's line or backboneSha256");
    }
    BackboneLock lock = lockable ? BackboneLock.in(baseDir) : null;
    String recorded = lock == null ? null : lock.sha256(key);
    if (recorded != null && !recorded.equals(expected)) {
      throw new UserProblemException(lock.file() + " pins backbone " + key + " to " + recorded
          + ", but the trusted mirror's " + sums.location() + " gives " + fileName + " the"
          + " SHA-256 " + expected + ": the mirror serves another file than this project"
          + " recorded. If the mirror's file is the one to use, delete the line of " + key
          + " from " + lock.file() + "; otherwise fix the mirror");
    }
    log.accept("backbone " + key + ": verifying " + fileName + " against the SHA-256 the trusted"
        + " mirror lists, " + expected + " (" + sums.location() + ")"
        + (replaced == null ? "" : replaced.endsWith(expected) ? ", which is " + replaced
        : ", instead of " + replaced + ": <backboneMirrorTrusted> is set"));
    Path file;
    try {
      file = fetch(original, fileName, expected, null, baseDir, source, log);
    } catch (UserProblemException e) {
      throw new UserProblemException(e.getMessage() + " (the expected SHA-256 is the trusted"
          + " mirror's line for " + fileName + " in " + sums.location() + ")", e);
    }
    if (lock != null && recorded == null) {
      try {
        lock.record(key, expected);
      } catch (IOException e) {
        throw new UserProblemException("cannot write " + lock.file() + ": " + e.getMessage(), e);
      }
      log.accept("recorded backbone " + key + "'s SHA-256 " + expected + " (the trusted"
          + " mirror's) in " + lock.file() + "; commit that file");
    }
    return file;
  }

  /** Where {@link #fetch} downloads from: the original URL, or the mirror's. */
  private static URI located(URI original, String fileName, Path baseDir, Source source)
      throws UserProblemException {
    if (source.mirror() == null) {
      return original;
    }
    return source.mirror().contains("://")
        ? uri(source.mirror().replaceAll("/*$", "/") + fileName)
        : baseDir.resolve(source.mirror()).resolve(fileName).normalize().toUri();
  }

  private static Path fetch(URI original, String fileName, String sha256, String md5,
      Path baseDir, Source source, java.util.function.Consumer<String> log)
      throws UserProblemException {
    URI url = located(original, fileName, baseDir, source);
    try {
      return new BackboneDownloader().fetch(new BackboneDownloader.Request(url, sha256,
          source.cacheDir(), fileName, source.offline(), md5), log);
    } catch (IllegalArgumentException e) { // hashes are checked where they are read
      throw new IllegalStateException("a backbone hash escaped its check: " + e.getMessage(), e);
    }
  }

  private static URI uri(String s) throws UserProblemException {
    try {
      return URI.create(s);
    } catch (IllegalArgumentException e) {
      throw new UserProblemException("invalid URL '" + s + "': " + e.getMessage(), e);
    }
  }

  /**
   * @param file a local weights file
   * @param inputSize input width and height (0: 224)
   * @return the backbone with its weights, its family recognised from the layer names
   * @throws UserProblemException when the file is not a supported backbone
   */
  public static Backbone resolve(Path file, int inputSize) throws UserProblemException {
    return resolve(file, inputSize, null);
  }

  /**
   * @param file a local weights file
   * @param inputSize input width and height (0: 224)
   * @param family the family ({@code id[:variant]}, see {@link #family}), or null to recognise it
   *     from the layer names
   * @return the backbone with its weights
   * @throws UserProblemException when the file is not a supported backbone, or the size is not
   *     one the family takes
   */
  public static Backbone resolve(Path file, int inputSize, String family)
      throws UserProblemException {
    Map<String, WeightTensor> weights = KerasWeights.read(file);
    Architecture arch;
    if (family != null) {
      try {
        arch = Families.named(family);
      } catch (IllegalArgumentException e) {
        throw new UserProblemException(e.getMessage() + " (setting <backboneFamily>, property"
            + " kiln.backboneFamily)", e);
      }
    } else {
      arch = recognise(weights, file);
    }
    int size = inputSize == 0 ? 224 : inputSize;
    try {
      arch.checkInputSize(size);
    } catch (IllegalArgumentException e) {
      throw new UserProblemException("inputSize " + size + ": " + e.getMessage()
          + " (setting <inputSize>, property kiln.inputSize)", e);
    }
    return new Backbone(file.toString(), sha256(file), arch, size, weights);
  }

  /**
   * @param spec the {@code backboneFamily} setting, {@code id[:variant]}
   * @return it, normalised
   * @throws IllegalArgumentException naming the valid families and variants
   */
  public static String family(String spec) {
    Families.named(spec);
    return spec.trim().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * @param source the backbone setting
   * @return the input size its weights were trained at: a catalogue entry's, else 224 (of
   *     several backbones: the first's)
   */
  public static int trainedSize(BackboneSource source) {
    if (source instanceof BackboneSource.Several several) {
      return trainedSize(several.parts().get(0));
    }
    return source instanceof BackboneSource.Catalogue c
        ? BackboneCatalog.find(c.name()).map(BackboneCatalog.Entry::inputSize).orElse(224) : 224;
  }

  /**
   * @param spec the backbone setting (a file path)
   * @param baseDir directory relative paths are resolved against
   * @param inputSize input width and height (MobileNet v1: 128..224)
   * @return the backbone with its weights
   * @throws UserProblemException naming the setting and the accepted forms
   */
  public static Backbone resolve(String spec, Path baseDir, int inputSize)
      throws UserProblemException {
    return resolve(file(spec, baseDir), inputSize);
  }

  /**
   * @param spec the backbone setting
   * @param baseDir directory relative paths are resolved against
   * @return the weights file the setting names (without reading it)
   * @throws UserProblemException naming the setting and the accepted forms
   */
  public static Path file(String spec, Path baseDir) throws UserProblemException {
    if (spec == null || spec.isBlank()) {
      throw new UserProblemException("no backbone configured: set <backbone> (kiln.backbone) to a"
          + " catalogue name (e.g. " + BackboneCatalog.names().get(0) + "), a keras-applications"
          + " .h5 weights file (" + Families.described() + ") or a TF.js layers model.json");
    }
    Path file = baseDir.resolve(spec.trim()).normalize();
    if (!Files.isRegularFile(file)) {
      throw new UserProblemException("unknown backbone '" + spec + "': no such file " + file
          + " and no catalogue name. Use a catalogue name (" + String.join(", ",
              BackboneCatalog.names()) + "), an https URL with <backboneSha256>, or a local"
          + " keras-applications .h5 weights file (" + Families.described() + "; e.g. "
          + BackboneCatalog.entries().get(0).fileName() + ") or TF.js layers model.json");
    }
    return file;
  }

  static Architecture recognise(Map<String, WeightTensor> weights, Path file)
      throws UserProblemException {
    try {
      return Families.recognise(weights).orElseThrow(() -> new UserProblemException("backbone "
          + file + " holds weights Kiln does not recognise (first names: "
          + weights.keySet().stream().limit(4).toList() + "); supported: "
          + Families.described()));
    } catch (IllegalArgumentException e) {
      throw new UserProblemException("backbone " + file + ": " + e.getMessage());
    }
  }

  /**
   * @param file any file
   * @return its SHA-256, lower-case hex
   * @throws UserProblemException when it cannot be read
   */
  public static String sha256(Path file) throws UserProblemException {
    try {
      return Hashes.sha256(file);
    } catch (IOException e) {
      throw new UserProblemException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
