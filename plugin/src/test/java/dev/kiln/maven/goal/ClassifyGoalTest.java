package dev.kiln.maven.goal;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.maven.problem.UserProblemException;
import dev.kiln.runtime.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The classify goal's messages; the happy path runs in the hymenoptera-e2e IT. */
class ClassifyGoalTest {

  @TempDir
  Path tmp;

  @Test
  void saysWhatToDoWithoutAModelInputsOrWithAMissingPhoto() throws Exception {
    UserProblemException noModel = assertThrows(UserProblemException.class,
        () -> ClassifyGoal.run(new ClassifyGoal.Request(tmp.resolve("X.onnx"),
            List.of(tmp), 3, Device.CPU), line -> {}));
    assertTrue(noModel.getMessage().contains("mvn package"), noModel.getMessage());

    Path model = Files.write(tmp.resolve("X.onnx"), new byte[] {1, 2, 3});
    UserProblemException noInputs = assertThrows(UserProblemException.class,
        () -> ClassifyGoal.run(new ClassifyGoal.Request(model, List.of(), 3, Device.CPU),
            line -> {}));
    assertTrue(noInputs.getMessage().contains("-Dkiln.inputs="), noInputs.getMessage());

    UserProblemException missing = assertThrows(UserProblemException.class,
        () -> ClassifyGoal.run(new ClassifyGoal.Request(model,
            List.of(tmp.resolve("nope.jpg")), 3, Device.CPU), line -> {}));
    assertTrue(missing.getMessage().contains("no such photo or folder"), missing.getMessage());

    UserProblemException broken = assertThrows(UserProblemException.class,
        () -> ClassifyGoal.run(new ClassifyGoal.Request(model, List.of(tmp), 3, Device.CPU),
            line -> {}));
    assertTrue(broken.getMessage().contains("cannot load the model"), broken.getMessage());
  }
}
