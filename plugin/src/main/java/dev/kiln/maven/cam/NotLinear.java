package dev.kiln.maven.cam;

/** Why the class activation maps cannot be drawn for a model: its head, in words. */
final class NotLinear extends Exception {
  NotLinear(String why) {
    super(why);
  }
}
