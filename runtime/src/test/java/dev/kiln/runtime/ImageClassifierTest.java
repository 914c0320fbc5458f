package dev.kiln.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.image.ImageDecoder;
import dev.kiln.runtime.image.Preprocessing;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The runtime on a real third-party model: ONNX model zoo MobileNetV2 (int8), ImageNet. */
class ImageClassifierTest {

  static final int ANT = 310;
  static final int BEE = 309;
  static ImageClassifier classifier;

  static List<String> imagenetLabels() {
    return IntStream.range(0, 1000).mapToObj(i -> "imagenet-" + i).collect(Collectors.toList());
  }

  static ClassifierOptions imagenetOptions() {
    return ClassifierOptions.defaults()
        .withDevice(Device.CPU)
        .withLabels(imagenetLabels())
        .withPreprocessing(Preprocessing.imagenet(224))
        .withOutput(ModelMetadata.Output.LOGITS); // the model zoo's MobileNetV2 ends in Gemm
  }

  @BeforeAll
  static void load() throws Exception {
    classifier = ImageClassifier.load(Fixtures.mobilenetV2Int8(), imagenetOptions());
  }

  @AfterAll
  static void close() {
    if (classifier != null) {
      classifier.close();
    }
  }

  static List<Path> photos(String split, String label) throws Exception {
    try (Stream<Path> s = Files.list(Fixtures.hymenoptera().resolve(split).resolve(label))) {
      return s.filter(p -> p.toString().endsWith(".jpg")).sorted().collect(Collectors.toList());
    }
  }

  @Test
  void hymenopteraPhotosLandInImagenetInsectClasses() throws Exception {
    int hits = 0;
    int total = 0;
    for (String label : List.of("ants", "bees")) {
      for (Path p : photos("val", label)) {
        Classification c = classifier.classify(p);
        List<Integer> top5 = c.topK(5).stream().map(Prediction::index).toList();
        total++;
        if (top5.contains(label.equals("ants") ? ANT : BEE)) {
          hits++;
        }
      }
    }
    // the "use as is" case: the right insect class in the top 5 for most photos
    assertTrue(hits > total * 0.7, hits + " of " + total + " photos had their insect in the top 5");
  }

  @Test
  void resultsHaveBestTopKAndProbabilityByLabel() throws Exception {
    Classification c = classifier.classify(photos("val", "bees").get(0));
    List<Prediction> top = c.topK(5);
    assertEquals(5, top.size());
    assertEquals(c.best(), top.get(0));
    for (int i = 1; i < top.size(); i++) {
      assertTrue(top.get(i - 1).probability() >= top.get(i).probability());
    }
    double sum = c.probabilities().values().stream().mapToDouble(Float::doubleValue).sum();
    assertEquals(1.0, sum, 1e-3, "softmax applied to the logits");
    assertEquals(c.best().probability(), c.probability(c.best().label()));
    assertThrows(IllegalArgumentException.class, () -> c.probability("unicorn"));
    assertEquals(1000, c.topK(5000).size());
  }

  @Test
  void everyInputKindGivesTheSameResult() throws Exception {
    Path photo = photos("val", "ants").get(3);
    Classification fromPath = classifier.classify(photo);
    Classification fromBytes = classifier.classify(Files.readAllBytes(photo));
    Classification fromImage = classifier.classify(ImageDecoder.decode(photo, 224));
    try (InputStream in = Files.newInputStream(photo)) {
      assertEquals(fromPath, classifier.classify(in));
    }
    assertEquals(fromPath, fromBytes);
    assertEquals(fromPath, fromImage);
  }

  @Test
  void batchEqualsOneByOne() throws Exception {
    List<Path> some = photos("val", "bees").subList(0, 6);
    List<Classification> batch = classifier.classifyFiles(some);
    assertEquals(some.size(), batch.size());
    for (int i = 0; i < some.size(); i++) {
      assertArrayEquals(classifier.classify(some.get(i)).scores(), batch.get(i).scores(), 1e-5f);
    }
  }

  @Test
  void sixteenThreadsGetExactlyTheSequentialResults() throws Exception {
    List<Path> images = new ArrayList<>(photos("val", "ants").subList(0, 8));
    images.addAll(photos("val", "bees").subList(0, 8));
    List<Classification> expected = new ArrayList<>();
    for (Path p : images) {
      expected.add(classifier.classify(p));
    }
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<Boolean>> futures = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        final int offset = t;
        futures.add(pool.submit(() -> {
          for (int round = 0; round < 12; round++) {
            int i = (offset + round) % images.size();
            if (!classifier.classify(images.get(i)).equals(expected.get(i))) {
              return false;
            }
          }
          return true;
        }));
      }
      for (Future<Boolean> f : futures) {
        assertTrue(f.get(), "a concurrent result differed from the sequential one");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void closedClassifierThrowsIllegalState() throws Exception {
    ImageClassifier c = ImageClassifier.load(Fixtures.mobilenetV2Int8(), imagenetOptions());
    c.close();
    c.close();
    assertThrows(IllegalStateException.class, () -> c.classify(photos("val", "ants").get(0)));
    assertThrows(IllegalStateException.class, c::labels);
  }

  @Test
  void thirdPartyModelWithoutLabelsFailsClearly() {
    KilnException e = assertThrows(KilnException.class,
        () -> ImageClassifier.load(Fixtures.mobilenetV2Int8(),
            ClassifierOptions.defaults().withDevice(Device.CPU)));
    assertEquals(KilnException.Reason.MODEL_INVALID, e.reason());
    assertTrue(e.getMessage().contains("withLabels"), e.getMessage());
    KilnException noOutput = assertThrows(KilnException.class,
        () -> ImageClassifier.load(Fixtures.mobilenetV2Int8(), ClassifierOptions.defaults()
            .withDevice(Device.CPU).withLabels(imagenetLabels())
            .withPreprocessing(Preprocessing.imagenet(224))));
    assertTrue(noOutput.getMessage().contains("valid: PROBABILITIES when the graph ends in a"
        + " softmax, LOGITS otherwise"), noOutput.getMessage());
  }

  @Test
  void statedOutputKindIsUsedAsIsNotGuessedPerRow() throws Exception {
    java.nio.file.Path ant = Fixtures.hymenoptera().resolve("val/ants/1053149811_f62a3410d3.jpg");
    try (ImageClassifier raw = ImageClassifier.load(Fixtures.mobilenetV2Int8(),
        imagenetOptions().withOutput(ModelMetadata.Output.PROBABILITIES))) {
      // PROBABILITIES: the rows are the graph's own outputs, never softmaxed because they look
      // like scores; raw scores are not probabilities, so that is an error that says what to do
      KilnException e = assertThrows(KilnException.class, () -> raw.classify(ant));
      assertEquals(KilnException.Reason.INFERENCE_FAILED, e.reason());
      assertTrue(e.getMessage().contains("withOutput(ModelMetadata.Output.LOGITS)"),
          e.getMessage());
      double sum = 0;
      for (float p : classifier.classify(ant).scores()) {
        sum += p;
      }
      assertEquals(1, sum, 1e-4, "LOGITS: the runtime applies the softmax");
    }
  }

  @Test
  void usersCanBuildClassificationsForTheirOwnTests() {
    Classification c = Classification.of(List.of("cat", "dog"), 0.25f, 0.75f);
    assertEquals("dog", c.best().label());
    assertEquals(0.25f, c.probability("cat"));
    assertEquals(new Prediction("dog", 1, 0.75f), c.topK(1).get(0));
    assertThrows(IllegalArgumentException.class, () -> Classification.of(List.of("cat"), 1.5f));
    assertThrows(IllegalArgumentException.class,
        () -> Classification.of(List.of("cat", "dog"), 1f));
  }

  @Test
  void wrongLabelCountAndSizeFailClearly() {
    KilnException labels = assertThrows(KilnException.class,
        () -> ImageClassifier.load(Fixtures.mobilenetV2Int8(),
            imagenetOptions().withLabels(List.of("ant", "bee"))));
    assertTrue(labels.getMessage().contains("1000"), labels.getMessage());
    KilnException size = assertThrows(KilnException.class,
        () -> ImageClassifier.load(Fixtures.mobilenetV2Int8(),
            imagenetOptions().withPreprocessing(Preprocessing.imagenet(128))));
    assertEquals(KilnException.Reason.MODEL_INVALID, size.reason());
  }

  @Test
  void missingAndInvalidModelsFailWithReasons(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    KilnException missing = assertThrows(KilnException.class,
        () -> ImageClassifier.load(dir.resolve("nope.onnx")));
    assertEquals(KilnException.Reason.MODEL_NOT_FOUND, missing.reason());
    assertTrue(missing.getMessage().contains("nope.onnx"));
    Path junk = Files.writeString(dir.resolve("junk.onnx"), "not a model");
    KilnException invalid = assertThrows(KilnException.class,
        () -> ImageClassifier.load(junk, imagenetOptions()));
    assertEquals(KilnException.Reason.MODEL_INVALID, invalid.reason());
    KilnException resource = assertThrows(KilnException.class,
        () -> ImageClassifier.loadResource("com/acme/Missing.onnx", getClass().getClassLoader(),
            ClassifierOptions.defaults()));
    assertEquals(KilnException.Reason.MODEL_NOT_FOUND, resource.reason());
  }

  @Test
  void unreadableImageNamesTheFile() {
    KilnException e = assertThrows(KilnException.class,
        () -> classifier.classify(Fixtures.awkward("pillow__truncated_jpeg.jpg")));
    assertEquals(KilnException.Reason.IMAGE_CORRUPT, e.reason());
    assertTrue(e.getMessage().contains("pillow__truncated_jpeg.jpg"));
  }
}
