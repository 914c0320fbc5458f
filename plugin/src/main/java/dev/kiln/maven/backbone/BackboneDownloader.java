package dev.kiln.maven.backbone;

import dev.kiln.maven.fingerprint.Hashes;
import dev.kiln.maven.problem.UserProblemException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Fetches a weights file into a local cache, verified by SHA-256: a cached file with the right
 * hash is used without any network access; otherwise the file is streamed to a temporary file
 * beside its final place while hashing, its length and hash are checked, and only then moved into
 * place atomically. A failed, truncated or tampered download never replaces a good cached file and
 * leaves no partial file behind. Network errors are retried; a wrong hash is not, nor a failure to
 * write into the cache (a full disk, a folder that is not writable), which says so.
 */
public final class BackboneDownloader {

  /**
   * @param url where to download from ({@code http}, {@code https} or {@code file})
   * @param sha256 the expected SHA-256, lower-case hex; null to trust the first download (the
   *     caller records its hash in {@code kiln-backbones.lock})
   * @param cacheDir the cache folder (created when missing)
   * @param fileName the file's name in the cache
   * @param offline true when the build must not touch the network (Maven {@code -o}); files
   *     from {@code file:} URLs (mirror folders) are still copied
   * @param md5 the MD5 the publisher gives (Keras pins MD5s), checked as well; null for none
   */
  public record Request(URI url, String sha256, Path cacheDir, String fileName, boolean offline,
      String md5) {
    public Request {
      if (md5 != null && !md5.matches("[0-9a-fA-F]{32}")) {
        throw new IllegalArgumentException("an MD5 is 32 hex digits, was '" + md5 + "'");
      }
      md5 = md5 == null ? null : md5.toLowerCase(Locale.ROOT);
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(cacheDir, "cacheDir");
      Objects.requireNonNull(fileName, "fileName");
      if (sha256 != null && !sha256.matches("[0-9a-fA-F]{64}")) {
        throw new IllegalArgumentException("a SHA-256 is 64 hex digits, was '" + sha256 + "'");
      }
      sha256 = sha256 == null ? null : sha256.toLowerCase(Locale.ROOT);
    }

    /** A request without a publisher's MD5. */
    public Request(URI url, String sha256, Path cacheDir, String fileName, boolean offline) {
      this(url, sha256, cacheDir, fileName, offline, null);
    }
  }

  /** Attempts per download before giving up on network errors. */
  static final int ATTEMPTS = 3;

  /** Opens the file a download is written to (a seam: tests simulate a full disk). */
  @FunctionalInterface
  interface PartFiles {
    OutputStream open(Path part) throws IOException;
  }

  private final long backoffMillis;
  private final int timeoutMillis;
  private final PartFiles partFiles;

  /** A downloader with production timing: 30 s connect/read timeouts, 1 s then 2 s backoff. */
  public BackboneDownloader() {
    this(1_000, 30_000);
  }

  BackboneDownloader(long backoffMillis, int timeoutMillis) {
    this(backoffMillis, timeoutMillis, Files::newOutputStream);
  }

  BackboneDownloader(long backoffMillis, int timeoutMillis, PartFiles partFiles) {
    this.backoffMillis = backoffMillis;
    this.timeoutMillis = timeoutMillis;
    this.partFiles = partFiles;
  }

  /**
   * @param r what to fetch
   * @param log progress lines (info level)
   * @return the verified file in the cache
   * @throws UserProblemException naming the URL, the cache file and what to do
   */
  public Path fetch(Request r, Consumer<String> log) throws UserProblemException {
    Path target = r.cacheDir().resolve(r.fileName());
    if (Files.isRegularFile(target)) {
      String actual = hash(target);
      if (actual.equals(r.sha256())) {
        return target;
      }
      if (r.sha256() == null && r.md5() != null && md5(target).equals(r.md5())) {
        return target;
      }
      if (r.sha256() == null && r.md5() == null) {
        log.accept("no SHA-256 known for " + r.fileName() + " yet: trusting the cached " + target);
        return target;
      }
      log.accept("cached " + target + " does not have the expected "
          + (r.sha256() != null ? "SHA-256 " + r.sha256() : "MD5 " + r.md5())
          + ": downloading it again");
    }
    if (r.offline() && !"file".equalsIgnoreCase(r.url().getScheme())) {
      throw new UserProblemException("backbone " + r.fileName() + " is not in the cache (" + target
          + ") and Maven runs offline (-o): build once online, or copy the file there ("
          + (r.sha256() == null ? "" : "SHA-256 " + r.sha256() + ", ") + "from " + r.url()
          + "), or set <backboneMirror> to a folder holding"
          + " it, or set <backbone> to a local file");
    }
    try {
      Files.createDirectories(r.cacheDir());
    } catch (IOException e) {
      throw new UserProblemException("cannot create the backbone cache folder " + r.cacheDir()
          + ": " + e.getMessage() + "; set <backboneCache> (kiln.backboneCache) to a writable"
          + " folder", e);
    }
    IOException last = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      Path part = null;
      try {
        try {
          part = dev.kiln.maven.files.TempFiles.create(r.cacheDir(), r.fileName() + ".",
              ".part");
        } catch (IOException e) {
          throw new CannotWrite(r.cacheDir(), -1, e);
        }
        long start = System.nanoTime();
        log.accept("downloading " + r.url() + (attempt > 1 ? " (attempt " + attempt + ")" : "")
            + " to " + target);
        String[] digests = download(r.url(), part);
        String actual = digests[0];
        if (r.md5() != null && !digests[1].equals(r.md5())) {
          throw new UserProblemException("downloaded " + r.url() + " but its MD5 is " + digests[1]
              + ", and the publisher gives " + r.md5() + ": the file on the server is not the one"
              + " published (changed, or altered on the way). Nothing was cached"
              + (Files.isRegularFile(target) ? " and " + target + " is unchanged" : "")
              + ". Check the URL or <backboneMirror>; a mirror that serves its own build of the"
              + " file on purpose lists its SHA-256 in the mirror's SHA256SUMS, and the build"
              + " trusts that list with <backboneMirrorTrusted> (kiln.backboneMirrorTrusted)");
        }
        if (r.sha256() != null && !actual.equals(r.sha256())) {
          throw new UserProblemException("downloaded " + r.url() + " but its SHA-256 is " + actual
              + ", expected " + r.sha256() + ": the file on the server is not the one Kiln"
              + " expects (changed, or altered on the way). Nothing was cached"
              + (Files.isRegularFile(target) ? " and " + target + " is unchanged" : "")
              + ". Check <backboneSha256> (or the hash kiln-backbones.lock recorded) and the URL"
              + " or mirror (a mirror that serves its own build of a file on purpose: list it in"
              + " the mirror's SHA256SUMS and set <backboneMirrorTrusted>)");
        }
        try {
          move(part, target);
        } catch (IOException e) {
          throw new CannotWrite(target, -1, e);
        }
        log.accept(String.format(Locale.ROOT, "downloaded %s (%.1f MB) in %.1f s, %s",
            r.fileName(), Files.size(target) / 1e6, (System.nanoTime() - start) / 1e9,
            r.sha256() != null ? "SHA-256 verified"
                : r.md5() != null ? "the publisher's MD5 verified, SHA-256 " + actual
                : "SHA-256 " + actual + " (first download: recorded)"));
        return target;
      } catch (CannotWrite e) { // local: retrying will not free the disk
        throw new UserProblemException("cannot write the backbone download from " + r.url()
            + " to " + e.file + " (backbone cache " + r.cacheDir() + "): " + e.getCause()
            + ". The disk is full or the folder is not writable: free space there"
            + (e.bytes >= 0 ? String.format(Locale.ROOT, " (the file is %.1f MB)", e.bytes / 1e6)
            : "") + " or set <backboneCache> (kiln.backboneCache) to a writable folder with"
            + " room. Nothing was cached" + (Files.isRegularFile(target) ? " and " + target
            + " is unchanged" : ""), e.getCause());
      } catch (IOException e) {
        last = e;
        if (e instanceof java.io.FileNotFoundException || e instanceof NotThere) {
          break; // retrying will not make it appear
        }
        if (attempt < ATTEMPTS) {
          log.accept("download of " + r.url() + " failed (" + e + "), retrying");
          sleep(backoffMillis << (attempt - 1));
        }
      } finally {
        deleteQuietly(part);
      }
    }
    throw new UserProblemException("cannot download backbone " + r.url() + ": " + last + ". Check the network or proxy (https.proxyHost in MAVEN_OPTS),"
        + " or put the file (SHA-256 " + r.sha256() + ") into " + r.cacheDir()
        + ", or set <backboneMirror> (kiln.backboneMirror) to a folder or URL that has it", last);
  }

  /** Streams {@code url} to {@code file}, checking the length; returns SHA-256 and MD5. */
  private String[] download(URI url, Path file) throws IOException {
    URLConnection c = url.toURL().openConnection();
    c.setConnectTimeout(timeoutMillis);
    c.setReadTimeout(timeoutMillis);
    c.setRequestProperty("User-Agent", "kiln-maven-plugin");
    if (c instanceof HttpURLConnection http) {
      int status = http.getResponseCode();
      if (status != HttpURLConnection.HTTP_OK) {
        http.disconnect();
        String message = "HTTP " + status + " from " + url;
        throw status >= 400 && status < 500 ? new NotThere(message) : new IOException(message);
      }
    }
    long expected = c.getContentLengthLong();
    MessageDigest sha = Hashes.sha256();
    MessageDigest md5 = md5Digest();
    long received = 0;
    try (InputStream in = c.getInputStream(); OutputStream out = local(file, expected)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        sha.update(buf, 0, n);
        md5.update(buf, 0, n);
        out.write(buf, 0, n);
        received += n;
      }
    }
    if (expected >= 0 && received != expected) {
      throw new IOException("transfer ended after " + received + " of " + expected + " bytes");
    }
    return new String[] {Hashes.hex(sha), Hashes.hex(md5)};
  }

  private static MessageDigest md5Digest() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no MD5", e);
    }
  }

  private static String md5(Path file) throws UserProblemException {
    try {
      MessageDigest md5 = md5Digest();
      Hashes.update(md5, file);
      return Hashes.hex(md5);
    } catch (IOException e) {
      throw new UserProblemException("cannot read the cached backbone " + file + ": "
          + e.getMessage(), e);
    }
  }

  /** The part file, every failure to write it (open, write, flush, close) a {@link CannotWrite}. */
  private OutputStream local(Path file, long bytes) throws CannotWrite {
    OutputStream out;
    try {
      out = partFiles.open(file);
    } catch (IOException e) {
      throw new CannotWrite(file, bytes, e);
    }
    return new java.io.FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws CannotWrite {
        try {
          out.write(b, off, len);
        } catch (IOException e) {
          throw new CannotWrite(file, bytes, e);
        }
      }

      @Override
      public void flush() throws CannotWrite {
        try {
          out.flush();
        } catch (IOException e) {
          throw new CannotWrite(file, bytes, e);
        }
      }

      @Override
      public void close() throws CannotWrite {
        try {
          out.close();
        } catch (IOException e) {
          throw new CannotWrite(file, bytes, e);
        }
      }
    };
  }

  /** Writing into the cache failed (full disk, no permission): local, not retried. */
  private static final class CannotWrite extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;
    private final long bytes;

    CannotWrite(Path file, long bytes, IOException cause) {
      super("cannot write " + file + ": " + cause.getMessage(), cause);
      this.file = file;
      this.bytes = bytes;
    }
  }

  /** The server says the file is not there (4xx): not retried. */
  private static final class NotThere extends IOException {
    private static final long serialVersionUID = 1L;

    NotThere(String message) {
      super(message);
    }
  }

  private static void move(Path part, Path target) throws IOException {
    try {
      Files.move(part, target, StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static String hash(Path file) throws UserProblemException {
    try {
      return Hashes.sha256(file);
    } catch (IOException e) {
      throw new UserProblemException("cannot read the cached backbone " + file + ": "
          + e.getMessage(), e);
    }
  }

  private static void deleteQuietly(Path p) {
    if (p != null) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // a leftover .part file is harmless: it is never read
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
