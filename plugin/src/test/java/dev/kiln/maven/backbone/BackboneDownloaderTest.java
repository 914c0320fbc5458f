package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.kiln.maven.fingerprint.Hashes;
import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.runtime.Fixtures;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backbone downloads against a real HTTP server on 127.0.0.1 serving the fixture weights, and a
 * mirror folder: verification, caching, atomic replacement, retries and the error messages.
 */
class BackboneDownloaderTest {

  static final String FILE = "mobilenet_2_5_224_tf_no_top.h5";

  @TempDir
  Path tmp;
  HttpServer server;
  byte[] weights;
  String sha;
  /** What the server sends for the file: "ok", "tampered", "truncated" or "missing". */
  volatile String behaviour = "ok";
  final AtomicInteger hits = new AtomicInteger();
  final List<String> log = new ArrayList<>();

  @BeforeEach
  void serve() throws IOException {
    weights = Files.readAllBytes(Fixtures.mobilenetH5());
    sha = Hashes.sha256(Fixtures.mobilenetH5());
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/mobilenet/", exchange -> {
      hits.incrementAndGet();
      try (exchange) {
        if (!exchange.getRequestURI().getPath().endsWith("/" + FILE)
            || behaviour.equals("missing")) {
          exchange.sendResponseHeaders(404, -1);
          return;
        }
        byte[] body = weights.clone();
        if (behaviour.equals("tampered")) {
          body[body.length / 2] ^= 1;
        }
        exchange.sendResponseHeaders(200, body.length);
        OutputStream out = exchange.getResponseBody();
        out.write(body, 0, behaviour.equals("truncated") ? body.length / 2 : body.length);
        out.flush();
        if (behaviour.equals("truncated")) {
          throw new IOException("cut the connection");
        }
      }
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mobilenet/" + FILE);
  }

  BackboneDownloader downloader() {
    return new BackboneDownloader(1, 5_000);
  }

  BackboneDownloader.Request request(Path cache) {
    return new BackboneDownloader.Request(url(), sha, cache, FILE, false);
  }

  static List<Path> leftovers(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".part")).toList();
    }
  }

  @Test
  void downloadsVerifiesAndCachesThenUsesTheCacheWithoutTheNetwork() throws Exception {
    Path cache = tmp.resolve("cache");
    Path file = downloader().fetch(request(cache), log::add);
    assertEquals(cache.resolve(FILE), file);
    assertArrayEquals(weights, Files.readAllBytes(file));
    assertEquals(1, hits.get());
    assertTrue(log.stream().anyMatch(l -> l.contains("SHA-256 verified")), log.toString());
    // a shared cache: the file gets what the umask gives any new file, not owner-only 0600
    Path reference = Files.createFile(tmp.resolve("reference"));
    assertEquals(Files.getPosixFilePermissions(reference), Files.getPosixFilePermissions(file));

    server.stop(0); // the second build must not need the server at all
    assertEquals(file, downloader().fetch(request(cache), log::add));
    assertEquals(1, hits.get());
    assertEquals(List.of(), leftovers(cache));
  }

  @Test
  void aTamperedDownloadFailsAndNeverReplacesTheCachedFile() throws Exception {
    Path cache = Files.createDirectories(tmp.resolve("cache"));
    byte[] old = "an older, different file".getBytes();
    Files.write(cache.resolve(FILE), old);
    behaviour = "tampered";
    UserProblemException e = assertThrows(UserProblemException.class,
        () -> downloader().fetch(request(cache), log::add));
    assertTrue(e.getMessage().contains("expected " + sha), e.getMessage());
    assertTrue(e.getMessage().contains(url().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("is unchanged"), e.getMessage());
    assertEquals(1, hits.get(), "a wrong hash is not retried");
    assertArrayEquals(old, Files.readAllBytes(cache.resolve(FILE)));
    assertEquals(List.of(), leftovers(cache));
  }

  @Test
  void aTruncatedTransferIsRetriedThenFailsLeavingNothing() throws Exception {
    Path cache = tmp.resolve("cache");
    behaviour = "truncated";
    UserProblemException e = assertThrows(UserProblemException.class,
        () -> downloader().fetch(request(cache), log::add));
    assertEquals(BackboneDownloader.ATTEMPTS, hits.get());
    assertTrue(e.getMessage().contains("cannot download backbone " + url()), e.getMessage());
    assertTrue(e.getMessage().contains("backboneMirror"), e.getMessage());
    assertFalse(Files.exists(cache.resolve(FILE)));
    assertEquals(List.of(), leftovers(cache));

    behaviour = "ok"; // the next build succeeds
    assertArrayEquals(weights, Files.readAllBytes(downloader().fetch(request(cache), log::add)));
  }

  @Test
  void missingFileIsNotRetriedAndUnreachableServerIsNamed() throws Exception {
    Path cache = tmp.resolve("cache");
    behaviour = "missing";
    UserProblemException e = assertThrows(UserProblemException.class,
        () -> downloader().fetch(request(cache), log::add));
    assertEquals(1, hits.get());
    assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());

    URI dead = url();
    server.stop(0);
    UserProblemException down = assertThrows(UserProblemException.class,
        () -> downloader().fetch(new BackboneDownloader.Request(dead, sha, cache, FILE, false),
            log::add));
    assertTrue(down.getMessage().contains(dead.toString()), down.getMessage());
    assertTrue(down.getMessage().contains("Connection refused"), down.getMessage());
  }

  @Test
  void offlineWithoutACachedFileSaysWhatToDo() {
    UserProblemException e = assertThrows(UserProblemException.class,
        () -> downloader().fetch(new BackboneDownloader.Request(url(), sha, tmp, FILE, true),
            log::add));
    assertTrue(e.getMessage().contains("offline"), e.getMessage());
    assertTrue(e.getMessage().contains(sha), e.getMessage());
    assertEquals(0, hits.get());
  }

  @Test
  void severalCatalogueNamesResolveEachVerified() throws Exception {
    Path mirror = Files.createDirectories(tmp.resolve("mirror-several"));
    Files.copy(Fixtures.mobilenetH5(), mirror.resolve(Fixtures.mobilenetH5().getFileName()));
    Files.copy(MobileNetV2Test.h5(), mirror.resolve(MobileNetV2Test.h5().getFileName()));
    List<Path> files = BackboneResolver.files(BackboneSource.parse(
        "mobilenet_v1_0.25_224+mobilenet_v2_0.5_224", tmp), tmp, new BackboneResolver.Source(
            null, tmp.resolve("e"), mirror.toString(), true), log::add, log::add);
    assertEquals(2, files.size());
    assertEquals(sha, Hashes.sha256(files.get(0)));
    assertEquals(Hashes.sha256(MobileNetV2Test.h5()), Hashes.sha256(files.get(1)));
    assertEquals(224, BackboneResolver.trainedSize(BackboneSource.parse(
        "mobilenet_v1_0.25_224+mobilenet_v2_0.5_128", tmp)));
  }

  @Test
  void catalogueNamesResolveThroughAMirrorUrlOrFolder() throws Exception {
    String mirrorUrl = "http://127.0.0.1:" + server.getAddress().getPort() + "/mobilenet";
    Path viaHttp = BackboneResolver.file("mobilenet_v1_0.25_224", tmp,
        new BackboneResolver.Source(null, tmp.resolve("a"), mirrorUrl, false), log::add);
    assertEquals(1, hits.get());
    assertEquals(0.25, ((MobileNetV1) BackboneResolver.resolve(viaHttp, 224).architecture())
        .alpha());

    Path folder = Fixtures.mobilenetH5().getParent(); // a mirror folder works offline too
    Path viaFolder = BackboneResolver.file("MobileNet_v1_0.25", tmp,
        new BackboneResolver.Source(null, tmp.resolve("b"), folder.toString(), true), log::add);
    assertEquals(sha, Hashes.sha256(viaFolder));
    assertEquals(1, hits.get());

    // MobileNetV2 by name: pinned SHA-256, verified from a mirror folder
    Path v2 = MobileNetV2Test.h5();
    Path viaV2 = BackboneResolver.file("mobilenet_v2_0.5", tmp,
        new BackboneResolver.Source(null, tmp.resolve("c"), v2.getParent().toString(), true),
        log::add);
    assertEquals(Hashes.sha256(v2), Hashes.sha256(viaV2));
    assertEquals(new MobileNetV2(0.5), BackboneResolver.resolve(viaV2, 224).architecture());
    Path squeeze = SqueezeNetTest.h5();
    Path viaSqueeze = BackboneResolver.file("squeezenet_1.1", tmp,
        new BackboneResolver.Source(null, tmp.resolve("d"), squeeze.getParent().toString(), true),
        log::add);
    assertEquals(Hashes.sha256(squeeze), Hashes.sha256(viaSqueeze));
  }

  @Test
  void withoutAKnownHashTheFirstDownloadIsRecordedInTheLockAndVerifiedAfterwards()
      throws Exception {
    Path project = tmp.resolve("project");
    Files.createDirectories(project);
    BackboneResolver.Source none = new BackboneResolver.Source(null, tmp.resolve("c1"), null,
        false);
    Path first = BackboneResolver.file(url().toString(), project, none, log::add);
    Path lock = project.resolve("kiln-backbones.lock");
    assertTrue(Files.readString(lock).contains(url() + "\t" + sha), Files.readString(lock));
    assertTrue(log.stream().anyMatch(l -> l.contains("commit that file")), log.toString());
    assertEquals(1, hits.get());

    // another machine (empty cache) gets a different file: the lock refuses it
    behaviour = "tampered";
    BackboneResolver.Source other = new BackboneResolver.Source(null, tmp.resolve("c2"), null,
        false);
    UserProblemException e = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file(url().toString(), project, other, log::add));
    assertTrue(e.getMessage().contains("expected " + sha) && e.getMessage()
        .contains("kiln-backbones.lock"), e.getMessage());
    behaviour = "ok";
    assertEquals(first, BackboneResolver.file(url().toString(), project, none, log::add));

    UserProblemException unknown = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file("xception", project, none, log::add));
    assertTrue(unknown.getMessage().contains("mobilenet_v1_0.25_224"), unknown.getMessage());
  }

  static String md5(byte[] data) throws Exception {
    return java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("MD5").digest(data));
  }

  @Test
  void thePublishersMd5IsCheckedWhenKilnHasNoSha256() throws Exception {
    Path cache = tmp.resolve("md5");
    var r = new BackboneDownloader.Request(url(), null, cache, FILE, false, md5(weights));
    Path file = downloader().fetch(r, log::add);
    assertArrayEquals(weights, Files.readAllBytes(file));
    assertTrue(log.stream().anyMatch(l -> l.contains("the publisher's MD5 verified")), log.toString());
    // from the cache: verified again, no download
    int before = hits.get();
    downloader().fetch(r, log::add);
    assertEquals(before, hits.get());

    behaviour = "tampered";
    Path other = tmp.resolve("md5-tampered");
    UserProblemException e = assertThrows(UserProblemException.class, () -> downloader().fetch(
        new BackboneDownloader.Request(url(), null, other, FILE, false, md5(weights)), log::add));
    assertTrue(e.getMessage().contains("MD5") && e.getMessage().contains(md5(weights)),
        e.getMessage());
    assertFalse(Files.exists(other.resolve(FILE)));
  }

  BackboneResolver.Source noHash(String cache) {
    return new BackboneResolver.Source(null, tmp.resolve(cache), null, false);
  }

  @Test
  void aLockLineWithSpacesStillPinsTheDownload() throws Exception {
    Path project = Files.createDirectories(tmp.resolve("project"));
    Path lock = project.resolve("kiln-backbones.lock");
    // written by hand (or by an editor that turns tabs into spaces), with Windows line ends
    Files.writeString(lock, "# pins\r\n" + url() + "    " + sha.toUpperCase() + "  \r\n");
    behaviour = "tampered";
    UserProblemException e = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file(url().toString(), project, noHash("c1"), log::add));
    assertTrue(e.getMessage().contains("expected " + sha), e.getMessage());
    assertTrue(Files.readString(lock).contains(sha.toUpperCase()), "the pin is kept");
    behaviour = "ok";
    BackboneResolver.file(url().toString(), project, noHash("c1"), log::add);
    assertEquals(url() + "    " + sha.toUpperCase(), Files.readAllLines(lock).get(1).strip(),
        "a verified download leaves the lock as it is");
  }

  @Test
  void aLockLineThatCannotBeParsedIsAnErrorNamingTheLineAndTheFile() throws Exception {
    Path project = Files.createDirectories(tmp.resolve("project"));
    Path lock = project.resolve("kiln-backbones.lock");
    String broken = url() + "," + sha;
    Files.writeString(lock, "# pins\n\n" + broken + "\n");
    UserProblemException e = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file(url().toString(), project, noHash("c1"), log::add));
    assertTrue(e.getMessage().contains(lock.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("line 3 ('" + broken + "')"), e.getMessage());
    assertTrue(e.getMessage().contains("delete its line"), e.getMessage());
    assertEquals(0, hits.get(), "nothing is downloaded, nothing recorded");
    assertEquals("# pins\n\n" + broken + "\n", Files.readString(lock));

    // a bad hash in the lock names the lock and its line, not <backboneSha256>
    Files.writeString(lock, "# pins\n" + url() + "\tabc123\n");
    UserProblemException bad = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file(url().toString(), project, noHash("c1"), log::add));
    assertTrue(bad.getMessage().contains(lock + " line 2"), bad.getMessage());
    assertFalse(bad.getMessage().contains("backboneSha256"), bad.getMessage());

    // two different pins for one key
    Files.writeString(lock, url() + "\t" + sha + "\n" + url() + "\t" + "0".repeat(64) + "\n");
    UserProblemException twice = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file(url().toString(), project, noHash("c1"), log::add));
    assertTrue(twice.getMessage().contains("line 2"), twice.getMessage());
  }

  @Test
  void anInvalidBackboneSha256IsNamedAsTheSetting() {
    UserProblemException e = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file(url().toString(), tmp, new BackboneResolver.Source("abc",
            tmp.resolve("c"), null, false), log::add));
    assertTrue(e.getMessage().contains("invalid backboneSha256 'abc'")
        && e.getMessage().contains("kiln.backboneSha256"), e.getMessage());
  }

  @Test
  void aFirstDownloadOverPlainHttpIsPinnedWithAWarning() throws Exception {
    Path project = Files.createDirectories(tmp.resolve("project"));
    List<String> warnings = new ArrayList<>();
    BackboneResolver.file(BackboneSource.parse(url().toString(), project), project,
        noHash("c1"), log::add, warnings::add);
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("plain http") && warnings.get(0).contains("https")
        && warnings.get(0).contains("backboneSha256"), warnings.get(0));
    // verified against the pin from then on: no warning
    BackboneResolver.file(BackboneSource.parse(url().toString(), project), project,
        noHash("c2"), log::add, warnings::add);
    assertEquals(1, warnings.size(), warnings.toString());
    // with the hash configured, the transfer is verified: no warning either
    Path other = Files.createDirectories(tmp.resolve("other"));
    BackboneResolver.file(BackboneSource.parse(url().toString(), other), other,
        new BackboneResolver.Source(sha, tmp.resolve("c3"), null, false), log::add,
        warnings::add);
    assertEquals(1, warnings.size(), warnings.toString());
    // the four-argument form puts it in the log, marked
    Path third = Files.createDirectories(tmp.resolve("third"));
    BackboneResolver.file(url().toString(), third, noHash("c4"), log::add);
    assertTrue(log.stream().anyMatch(l -> l.startsWith("WARNING: ") && l.contains("plain http")),
        log.toString());
  }

  @Test
  void backboneSha256IsVerifiedForALocalFileAndAnArtifact() throws Exception {
    Path h5 = Fixtures.mobilenetH5();
    String wrong = "0".repeat(64);
    BackboneResolver.Source wrongHash = new BackboneResolver.Source(wrong, tmp, null, false,
        a -> h5);
    UserProblemException local = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file(h5.toString(), tmp, wrongHash, log::add));
    assertTrue(local.getMessage().contains(h5.toString()) && local.getMessage().contains(sha)
        && local.getMessage().contains(wrong), local.getMessage());
    assertEquals(h5, BackboneResolver.file(h5.toString(), tmp,
        new BackboneResolver.Source(sha.toUpperCase(), tmp, null, false), log::add));

    UserProblemException artifact = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file("com.acme:nets:1.0:weights:h5", tmp, wrongHash, log::add));
    assertTrue(artifact.getMessage().contains("com.acme:nets:1.0:weights:h5")
        && artifact.getMessage().contains(sha), artifact.getMessage());
    assertEquals(h5, BackboneResolver.file("com.acme:nets:1.0:weights:h5", tmp,
        new BackboneResolver.Source(sha, tmp, null, false, a -> h5), log::add));

    // a TF.js model.json: one hash cannot cover its shards, so the combination is refused
    UserProblemException tfjs = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file(Fixtures.mobilenetTfjs().toString(), tmp,
            new BackboneResolver.Source(Hashes.sha256(Fixtures.mobilenetTfjs()), tmp, null,
                false), log::add));
    assertTrue(tfjs.getMessage().contains("shard") && tfjs.getMessage().contains("backboneSha256"),
        tfjs.getMessage());
  }

  @Test
  void aFullDiskIsNamedAsSuchAndNotRetried() throws Exception {
    Path cache = tmp.resolve("cache");
    BackboneDownloader full = new BackboneDownloader(1, 5_000, part -> new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("No space left on device");
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        throw new IOException("No space left on device");
      }
    });
    UserProblemException e = assertThrows(UserProblemException.class,
        () -> full.fetch(request(cache), log::add));
    assertEquals(1, hits.get(), "a local write failure is not retried");
    assertTrue(e.getMessage().contains("disk is full") && e.getMessage().contains(cache.toString())
        && e.getMessage().contains("No space left on device")
        && e.getMessage().contains("backboneCache"), e.getMessage());
    assertFalse(e.getMessage().contains("network"), e.getMessage());
    assertEquals(List.of(), leftovers(cache));
    assertFalse(Files.exists(cache.resolve(FILE)));
  }
}
