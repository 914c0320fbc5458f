package dev.kiln.maven.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.problem.UserProblemException;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetScannerTest {

  @TempDir
  Path dir;

  static void image(Path file) throws Exception {
    Files.createDirectories(file.getParent());
    BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
    img.setRGB(1, 1, file.hashCode());
    ImageIO.write(img, file.toString().endsWith(".png") ? "png" : "jpg", file.toFile());
  }

  static DatasetScanner.Request request(Path root) {
    return new DatasetScanner.Request(root, List.of(), List.of(), 0.2, 42);
  }

  void labels(String... names) throws Exception {
    for (String n : names) {
      for (int i = 0; i < 20; i++) {
        image(dir.resolve(n).resolve("img" + i + ".jpg"));
      }
    }
  }

  @Test
  void singleFolderSplitsEveryLabelStably() throws Exception {
    labels("cat", "dog", "bird");
    Files.writeString(dir.resolve("cat/notes.txt"), "not an image");
    image(dir.resolve("cat/.hidden.jpg"));
    image(dir.resolve("dog/UPPER.JPG"));
    Dataset d = DatasetScanner.scan(request(dir));
    assertEquals(List.of("bird", "cat", "dog"), d.labels(), "sorted");
    assertFalse(d.explicitSplit());
    assertEquals(61, d.train().size() + d.validation().size(), "txt and hidden files ignored");
    assertTrue(d.train().stream().anyMatch(i -> i.relativePath().equals("dog/UPPER.JPG"))
        || d.validation().stream().anyMatch(i -> i.relativePath().equals("dog/UPPER.JPG")));
    int[] val = d.counts(d.validation());
    for (int v : val) {
      assertTrue(v >= 1 && v <= 10, "every label has validation images: " + v);
    }
    assertTrue(d.summary().contains("bird"));
  }

  @Test
  void addingImagesNeverMovesTheOthers() throws Exception {
    labels("a", "b");
    Dataset before = DatasetScanner.scan(request(dir));
    for (int i = 100; i < 110; i++) {
      image(dir.resolve("a/new" + i + ".jpg"));
    }
    Dataset after = DatasetScanner.scan(request(dir));
    Set<String> valBefore = paths(before.validation());
    Set<String> valAfter = paths(after.validation());
    Set<String> trainAfter = paths(after.train());
    for (String p : valBefore) {
      assertTrue(valAfter.contains(p), p + " stayed in validation");
    }
    for (String p : paths(before.train())) {
      assertTrue(trainAfter.contains(p), p + " stayed in training");
    }
    // a different seed gives a different split
    Dataset other = DatasetScanner.scan(new DatasetScanner.Request(dir, List.of(), List.of(), 0.2, 7));
    assertFalse(paths(other.validation()).equals(valAfter));
  }

  static Set<String> paths(List<LabelledImage> images) {
    return images.stream().map(LabelledImage::relativePath).collect(Collectors.toCollection(HashSet::new));
  }

  @Test
  void explicitTrainAndValFolders() throws Exception {
    for (String side : List.of("train", "val")) {
      for (String label : List.of("ants", "bees")) {
        for (int i = 0; i < 3; i++) {
          image(dir.resolve(side).resolve(label).resolve("x " + i + ".png"));
        }
      }
    }
    Dataset d = DatasetScanner.scan(request(dir));
    assertTrue(d.explicitSplit());
    assertEquals(List.of("ants", "bees"), d.labels());
    assertEquals(6, d.train().size());
    assertEquals(6, d.validation().size());
    assertTrue(d.validation().get(0).relativePath().startsWith("val/ants/"));
  }

  @Test
  void includesAndExcludes() throws Exception {
    labels("a", "b");
    image(dir.resolve("a/extra.png"));
    Dataset d = DatasetScanner.scan(new DatasetScanner.Request(dir, List.of("**/*.jpg"),
        List.of("**/img1*.jpg"), 0.2, 1));
    Set<String> all = paths(d.train());
    all.addAll(paths(d.validation()));
    assertFalse(all.contains("a/extra.png"));
    assertFalse(all.contains("a/img1.jpg"));
    assertFalse(all.contains("a/img10.jpg"));
    assertTrue(all.contains("a/img2.jpg"));
  }

  @Test
  void errorsNameWhatWasFound() throws Exception {
    UserProblemException missing = assertThrows(UserProblemException.class,
        () -> DatasetScanner.scan(request(dir.resolve("nope"))));
    assertTrue(missing.getMessage().contains("does not exist"));

    labels("only");
    UserProblemException single = assertThrows(UserProblemException.class,
        () -> DatasetScanner.scan(request(dir)));
    assertTrue(single.getMessage().contains("found 1 label folder(s) [only]"), single.getMessage());

    Files.createDirectories(dir.resolve("empty"));
    UserProblemException empty = assertThrows(UserProblemException.class,
        () -> DatasetScanner.scan(request(dir)));
    assertTrue(empty.getMessage().contains("empty") && empty.getMessage().contains("no images"),
        empty.getMessage());

    image(dir.resolve("empty/one.jpg"));
    UserProblemException few = assertThrows(UserProblemException.class,
        () -> DatasetScanner.scan(request(dir)));
    assertTrue(few.getMessage().contains("label 'empty' has only 1 image"), few.getMessage());
  }

  @Test
  void validationLabelUnknownToTraining() throws Exception {
    image(dir.resolve("train/a/1.jpg"));
    image(dir.resolve("train/b/1.jpg"));
    image(dir.resolve("val/c/1.jpg"));
    UserProblemException e = assertThrows(UserProblemException.class,
        () -> DatasetScanner.scan(request(dir)));
    assertTrue(e.getMessage().contains("no counterpart"), e.getMessage());
  }

  @Test
  void eachRealFolderIsEnteredOnceAndLinksThatLoopAreReported() throws Exception {
    labels("ants", "bees");
    image(dir.resolve("ants/more/x.jpg"));
    image(dir.resolve("ants/more/y.jpg"));
    Files.createSymbolicLink(dir.resolve("ants/loop"), Path.of(".."));          // a loop
    Files.createSymbolicLink(dir.resolve("ants/again"), Path.of("more"));       // a second way
    Files.createSymbolicLink(dir.resolve("ants/the-bees"), dir.resolve("bees")); // another label
    Dataset d = DatasetScanner.scan(request(dir));
    int[] counts = d.counts(d.train());
    int[] val = d.counts(d.validation());
    assertEquals(22, counts[0] + val[0], "20 ants + ants/more, each once");
    assertEquals(20, counts[1] + val[1]);
    assertTrue(d.train().stream().noneMatch(i -> i.label() == 0
        && i.relativePath().contains("bees")), "no bee photo trained as an ant");
    String warnings = String.join("\n", d.warnings());
    assertTrue(warnings.contains("skipped link ants/loop"), warnings);
    assertTrue(warnings.contains("skipped link ants/again"), warnings);
    assertTrue(warnings.contains("skipped link ants/the-bees"), warnings);
  }

  @Test
  void withFollowLinksOffLinksAreNotFollowed() throws Exception {
    labels("ants", "bees");
    Path elsewhere = Files.createTempDirectory(dir.getParent(), "elsewhere");
    image(elsewhere.resolve("z.jpg"));
    Files.createSymbolicLink(dir.resolve("ants/linked"), elsewhere);
    Files.createSymbolicLink(dir.resolve("ants/z.jpg"), elsewhere.resolve("z.jpg"));
    Dataset followed = DatasetScanner.scan(request(dir));
    assertEquals(22, followed.train().size() + followed.validation().size() - 20);
    Dataset not = DatasetScanner.scan(new DatasetScanner.Request(dir, List.of(), List.of(), 0.2,
        42, false));
    assertEquals(40, not.train().size() + not.validation().size());
    assertTrue(String.join("\n", not.warnings()).contains("followLinks is off"));
  }

  @Test
  void aDanglingLinkIsReportedAsDanglingWithItsTarget() throws Exception {
    labels("ants", "bees");
    Files.createSymbolicLink(dir.resolve("ants/gone.jpg"), dir.resolve("nowhere/gone.jpg"));
    Dataset d = DatasetScanner.scan(request(dir)); // followLinks is on
    String warnings = String.join("\n", d.warnings());
    assertTrue(warnings.contains("skipped link ants/gone.jpg: it is a dangling link: its target "
        + dir.resolve("nowhere/gone.jpg") + " does not exist"), warnings);
    assertFalse(warnings.contains("followLinks is off"), warnings);
  }

  @Test
  void photosInFormatsKilnCannotDecodeAreCountedInOneWarning() throws Exception {
    labels("ants", "bees");
    Files.writeString(dir.resolve("ants/a.webp"), "RIFF....WEBP");
    Files.writeString(dir.resolve("bees/b.HEIC"), "....ftypheic");
    Files.writeString(dir.resolve("bees/c.heic"), "....ftypheic");
    Dataset d = DatasetScanner.scan(request(dir));
    assertEquals(40, d.train().size() + d.validation().size(), "left out of training");
    List<String> about = d.warnings().stream().filter(w -> w.contains("cannot decode")).toList();
    assertEquals(1, about.size(), d.warnings().toString());
    assertTrue(about.get(0).startsWith("ignored 3 .heic/.webp photo(s) (ants/a.webp, bees/b.HEIC,"
        + " bees/c.heic): Kiln cannot decode these formats; convert them to JPEG or PNG"),
        about.get(0));
    Dataset excluded = DatasetScanner.scan(new DatasetScanner.Request(dir, List.of(),
        List.of("**/*.webp", "**/*.heic", "**/*.HEIC"), 0.2, 42));
    assertTrue(excluded.warnings().isEmpty(), "left out on purpose: " + excluded.warnings());
  }

  @Test
  void aNonAsciiLabelUnderAPosixLocaleSaysToUseUtf8() throws Exception {
    labels("tea");
    // the folder "Café crème" made from its UTF-8 bytes, whatever this JVM's locale
    new ProcessBuilder("bash", "-c", "mkdir \"$(printf 'Caf\\303\\251 cr\\303\\250me')\" && cp"
        + " tea/img0.jpg tea/img1.jpg \"$(printf 'Caf\\303\\251 cr\\303\\250me')\"/")
        .directory(dir.toFile()).inheritIO().start().waitFor();
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin",
        "java").toString(), "-cp", System.getProperty("java.class.path"),
        LocaleProbe.class.getName(), dir.toString());
    pb.environment().keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANG"));
    pb.environment().put("LC_ALL", "C"); // a container without LANG
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(),
        java.nio.charset.StandardCharsets.UTF_8);
    p.waitFor();
    org.junit.jupiter.api.Assumptions.assumeTrue(out.contains("file.encoding=ANSI_X3.4-1968"),
        "this JDK does not fall back to ASCII file names under LC_ALL=C: " + out);
    assertTrue(out.contains("cannot be represented in this JVM's file-name encoding"), out);
    assertTrue(out.contains("LANG=C.UTF-8"), out);
  }
}
