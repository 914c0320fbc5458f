package dev.kiln.maven.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainConfigurationTest {

  static TrainConfiguration.Builder valid() {
    return TrainConfiguration.builder().baseDir(Path.of("/p")).className("com.acme.Pets")
        .backbone("net.h5");
  }

  /** The decision test: a new component without {@code @ModelInput}/{@code @NotModelInput} fails. */
  @Test
  void everyComponentSaysWhetherItCanChangeTheModel() {
    for (RecordComponent group : TrainConfiguration.class.getRecordComponents()) {
      assertTrue(group.getType().isRecord(), group.getName() + " is a group of settings");
      for (RecordComponent field : group.getType().getRecordComponents()) {
        boolean in = field.isAnnotationPresent(ModelInput.class);
        boolean out = field.isAnnotationPresent(NotModelInput.class);
        assertTrue(in ^ out, group.getName() + "." + field.getName() + " must be marked"
            + " @ModelInput (it can change the trained model: in the fingerprint) or"
            + " @NotModelInput(\"why not\")");
      }
    }
    assertFalse(ConfigurationFingerprint.inputs(valid().build()).isEmpty());
  }

  @Test
  void modelInputsChangeTheFingerprintAndOthersDoNot() {
    Map<String, String> base = ConfigurationFingerprint.inputs(valid().build());
    assertNotEquals(base, ConfigurationFingerprint.inputs(valid().estimateFolds(10).build()));
    assertNotEquals(base, ConfigurationFingerprint.inputs(valid().headSolver("adam").build()));
    assertNotEquals(base, ConfigurationFingerprint.inputs(valid().augmentation("flip=false")
        .build()));
    assertNotEquals(base, ConfigurationFingerprint.inputs(valid().pooling("max").build()));
    assertEquals(base, ConfigurationFingerprint.inputs(valid().minAccuracy(0.9).build()));
    assertEquals(base, ConfigurationFingerprint.inputs(valid().force(true).device("CPU")
        .workDir(Path.of("/elsewhere")).build()));
    assertEquals("5", base.get("gates.estimateFolds"));
    assertEquals("AUTO", base.get("head.solver"));
  }

  @Test
  void badValuesNameTheirSettingPropertyAndChoices() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
        () -> valid().pooling("sum"));
    assertEquals("invalid pooling (<pooling>, -Dkiln.pooling): unknown pooling 'sum'; valid:"
        + " avg, max", e.getMessage());
    e = assertThrows(InvalidSettingException.class, () -> valid().headSolver("sgd"));
    assertTrue(e.getMessage().contains("valid: [auto, lbfgs, adam]"), e.getMessage());
    e = assertThrows(InvalidSettingException.class, () -> valid().learningRateSchedule("cyclic"));
    assertEquals("learningRateSchedule", e.setting());
    e = assertThrows(InvalidSettingException.class, () -> valid().augmentation("spin=3"));
    assertEquals("augmentation", e.setting());
    e = assertThrows(InvalidSettingException.class, () -> valid().device("TPU"));
    assertTrue(e.getMessage().contains("AUTO, CPU, CUDA"), e.getMessage());
    e = assertThrows(InvalidSettingException.class, () -> valid().epochs(0).build());
    assertEquals("epochs", e.setting());
    e = assertThrows(InvalidSettingException.class, () -> valid().minAccuracy(90).build());
    assertTrue(e.getMessage().contains("between 0 and 1"), e.getMessage());
    e = assertThrows(InvalidSettingException.class,
        () -> valid().headSolver("lbfgs").hiddenUnits(64).build());
    assertEquals("headSolver", e.setting());
    e = assertThrows(InvalidSettingException.class, () -> valid().className("pets").build());
    assertEquals("className", e.setting());
    e = assertThrows(InvalidSettingException.class, () -> valid().backbone(" ").build());
    assertEquals("backbone", e.setting());
  }
}
