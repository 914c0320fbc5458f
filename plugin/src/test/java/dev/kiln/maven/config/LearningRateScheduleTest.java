package dev.kiln.maven.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {

  @Test
  void schedulesWarmUpThenDecay() {
    LearningRateSchedule c = LearningRateSchedule.WARMUP_COSINE;
    double lr = 1e-3;
    assertEquals(1e-4, c.at(lr, 10, 10, 0), 1e-12, "starts at a tenth");
    assertTrue(c.at(lr, 10, 10, 5) > c.at(lr, 10, 10, 1), "warms up over the first epoch");
    assertEquals(lr, c.at(lr, 10, 10, 10), 1e-12, "full rate after warm-up");
    assertTrue(c.at(lr, 10, 10, 60) < c.at(lr, 10, 10, 30), "decays");
    assertTrue(c.at(lr, 10, 10, 99) < 1e-6, "ends near zero");
    assertEquals(lr / 100, LearningRateSchedule.STEP.at(lr, 9, 10, 89), 1e-12);
    assertEquals(lr, LearningRateSchedule.CONSTANT.at(lr, 9, 10, 50), 0);
    assertEquals(LearningRateSchedule.WARMUP_COSINE, LearningRateSchedule.parse("warmup-cosine"));
  }
}
