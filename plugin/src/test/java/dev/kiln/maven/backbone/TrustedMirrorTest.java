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
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mirror serving its own build of a catalogued file ({@code backboneMirrorTrusted}): by default
 * the publisher's hash refuses it; trusted, the mirror's {@code SHA256SUMS} verifies it instead,
 * and the build says which hash it replaced. The mirror's list must name the file, agree with
 * {@code backboneSha256} and the project's lock, and a URL mirror's list serves offline builds
 * from the cache.
 */
class TrustedMirrorTest {

  /** InceptionV3's catalogue file: Keras pins its MD5, Kiln no SHA-256 (the lock records it). */
  static final String INCEPTION = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5";

  @TempDir
  Path tmp;
  Path mirror;
  Path project;
  byte[] own = "a mirror's own build of the weights".getBytes(StandardCharsets.UTF_8);
  String ownSha;
  final List<String> log = new ArrayList<>();

  @BeforeEach
  void mirror() throws Exception {
    mirror = Files.createDirectories(tmp.resolve("mirror"));
    project = Files.createDirectories(tmp.resolve("project"));
    Files.write(mirror.resolve(INCEPTION), own);
    ownSha = Hashes.sha256(mirror.resolve(INCEPTION));
    sums("# the company's builds\n" + ownSha + " *" + INCEPTION + "\n");
  }

  void sums(String text) throws Exception {
    Files.writeString(mirror.resolve(MirrorChecksums.FILE), text);
  }

  BackboneResolver.Source source(boolean trusted) {
    return new BackboneResolver.Source(null, tmp.resolve("cache"), mirror.toString(), false,
        null, trusted);
  }

  @Test
  void byDefaultThePublishersHashRefusesTheMirrorsOwnFileAndSaysWhatToDo() {
    UserProblemException e = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file("inception_v3", project, source(false), log::add));
    assertTrue(e.getMessage().contains("the publisher gives bcbd6486424b2319ff4ef7d526e38f63")
        && e.getMessage().contains("SHA256SUMS")
        && e.getMessage().contains("<backboneMirrorTrusted>"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("cache").resolve(INCEPTION)), "nothing cached");
  }

  @Test
  void trustedTheMirrorsListReplacesThePublishersHashSaysSoAndIsLocked() throws Exception {
    Path file = BackboneResolver.file("inception_v3", project, source(true), log::add);
    assertArrayEquals(own, Files.readAllBytes(file));
    assertTrue(log.stream().anyMatch(l -> l.contains("backbone inception_v3_299: verifying "
        + INCEPTION + " against the SHA-256 the trusted mirror lists, " + ownSha)
        && l.contains("instead of the publisher's MD5, bcbd6486424b2319ff4ef7d526e38f63:"
        + " <backboneMirrorTrusted> is set")), log.toString());
    assertTrue(log.stream().anyMatch(l -> l.contains("SHA-256 verified")), log.toString());
    String lock = Files.readString(project.resolve(BackboneLock.FILE));
    assertTrue(lock.contains("inception_v3_299\t" + ownSha), lock);

    // the mirror now serves another file under the same name: the project's lock refuses it
    Files.writeString(mirror.resolve(INCEPTION), "changed");
    sums(Hashes.sha256(mirror.resolve(INCEPTION)) + "  " + INCEPTION + "\n");
    UserProblemException e = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file("inception_v3", project, source(true), log::add));
    assertTrue(e.getMessage().contains("pins backbone inception_v3_299 to " + ownSha)
        && e.getMessage().contains("delete the line of inception_v3_299"), e.getMessage());
  }

  @Test
  void aHashKilnPinsIsReplacedTooAndTheSameFileIsSaidToMatchIt() throws Exception {
    Path real = Fixtures.mobilenetH5();
    String pinned = BackboneCatalog.find("mobilenet_v1_0.25_224").orElseThrow().sha256();
    Files.copy(real, mirror.resolve(real.getFileName()));
    sums(pinned + "  " + real.getFileName() + "\n");
    BackboneResolver.file("mobilenet_v1_0.25_224", project, source(true), log::add);
    assertTrue(log.stream().anyMatch(l -> l.endsWith(", which is the SHA-256 Kiln pins, "
        + pinned)), log.toString());
    assertFalse(Files.exists(project.resolve(BackboneLock.FILE)), "a pinned name is not locked");
  }

  @Test
  void theListMustNameTheFileAndItsHashMustBeRight() throws Exception {
    sums("");
    UserProblemException unlisted = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file("inception_v3", project, source(true), log::add));
    assertTrue(unlisted.getMessage().contains("lists no " + INCEPTION)
        && unlisted.getMessage().contains("sha256sum " + INCEPTION + " >> SHA256SUMS"),
        unlisted.getMessage());

    sums("0".repeat(64) + "  " + INCEPTION + "\n");
    UserProblemException wrong = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file("inception_v3", project, source(true), log::add));
    assertTrue(wrong.getMessage().contains("its SHA-256 is " + ownSha)
        && wrong.getMessage().contains("the trusted mirror's line for " + INCEPTION),
        wrong.getMessage());
    assertFalse(Files.exists(tmp.resolve("cache").resolve(INCEPTION)), "nothing cached");

    sums("not a line\n");
    UserProblemException malformed = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file("inception_v3", project, source(true), log::add));
    assertTrue(malformed.getMessage().contains("SHA256SUMS line 1 ('not a line')"),
        malformed.getMessage());

    Files.delete(mirror.resolve(MirrorChecksums.FILE));
    UserProblemException none = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file("inception_v3", project, source(true), log::add));
    assertTrue(none.getMessage().contains("has no SHA256SUMS"), none.getMessage());
  }

  @Test
  void backboneSha256MustAgreeAndTrustNeedsAMirror() {
    var pinned = new BackboneResolver.Source("1".repeat(64), tmp.resolve("cache"),
        mirror.toString(), false, null, true);
    UserProblemException e = assertThrows(UserProblemException.class,
        () -> BackboneResolver.file("inception_v3", project, pinned, log::add));
    assertTrue(e.getMessage().contains("the mirror serves another file than the build pins"),
        e.getMessage());
    IllegalArgumentException noMirror = assertThrows(IllegalArgumentException.class,
        () -> new BackboneResolver.Source(null, tmp, null, false, null, true));
    assertTrue(noMirror.getMessage().contains("no backboneMirror is set"), noMirror.getMessage());
  }

  @Test
  void aUrlMirrorsListIsKeptForOfflineBuilds() throws Exception {
    AtomicInteger hits = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/models/", exchange -> {
      hits.incrementAndGet();
      try (exchange) {
        Path f = mirror.resolve(exchange.getRequestURI().getPath().substring(8));
        byte[] body = Files.readAllBytes(f);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
      }
    });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/models";
      Path cache = tmp.resolve("url-cache");
      Path online = BackboneResolver.file("inception_v3", project, new BackboneResolver.Source(
          null, cache, url, false, null, true), log::add);
      assertEquals(2, hits.get(), "the list and the file");
      Path offline = BackboneResolver.file("inception_v3", project, new BackboneResolver.Source(
          null, cache, url, true, null, true), log::add);
      assertEquals(online, offline);
      assertEquals(2, hits.get(), "offline: the list's copy and the cached file");
      assertTrue(log.stream().anyMatch(l -> l.startsWith("offline: the trusted mirror's"
          + " SHA256SUMS as read from " + url + "/SHA256SUMS")), log.toString());
    } finally {
      server.stop(0);
    }
  }
}
