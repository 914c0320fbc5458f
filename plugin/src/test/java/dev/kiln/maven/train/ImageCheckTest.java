package dev.kiln.maven.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.problem.UserProblemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the user reads about unreadable photos. */
class ImageCheckTest {

  @Test
  void failOnBadImagesListsOneFilePerLineAndSummaryCountsOnlyReadablePhotos() throws Exception {
    Path root = Path.of("/photos");
    List<LabelledImage> train = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      train.add(new LabelledImage(root.resolve("a/" + i + ".jpg"), "a/" + i + ".jpg", 0));
      train.add(new LabelledImage(root.resolve("b/" + i + ".jpg"), "b/" + i + ".jpg", 1));
    }
    Dataset data = new Dataset(root, List.of("a", "b"), train, train.subList(0, 2), false);
    List<SkippedImage> skipped = List.of(new SkippedImage("a/3.jpg", "[IMAGE_CORRUPT] truncated"),
        new SkippedImage("b/3.jpg", "[IMAGE_TOO_LARGE] 50000x50000"));
    UserProblemException e = assertThrows(UserProblemException.class, () -> ImageCheck.check(true,
        data, new int[] {0, 0, 0, 1, 1, 1}, new int[] {0, 1}, skipped, ProgressListener.NONE));
    assertEquals("2 images could not be read and failOnBadImages is set:\n"
        + "  a/3.jpg: [IMAGE_CORRUPT] truncated\n"
        + "  b/3.jpg: [IMAGE_TOO_LARGE] 50000x50000\n"
        + "Fix or remove them, or unset failOnBadImages (kiln.failOnBadImages) to skip them",
        e.getMessage());
    List<String> lines = new ArrayList<>();
    ImageCheck.check(false, data,
        new int[] {0, 0, 0, 1, 1, 1}, new int[] {0, 1}, skipped, new ProgressListener() {
          @Override
          public void phase(String name, String detail) {
            lines.add(detail);
          }

          @Override
          public void epoch(EpochStats stats) {}
        });
    assertTrue(lines.get(0).startsWith("used after leaving out 2 unreadable photos: 6 training"
        + " and 2 validation"), lines.toString());
    assertTrue(lines.get(0).contains("a  train    3  val    1"), lines.toString());
  }
}
