package dev.kiln.maven.engine;

import org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper;

/**
 * Puts DL4J on its fast CPU path before ND4J loads: the oneDNN + AVX2 native build when it is on
 * the class path (x86-64 Linux, macOS and Windows; the build picks it by OS profile), and DL4J's
 * layer helpers enabled (M2.1 disables them by default). Measured here on MobileNet v1 α0.25,
 * batch 16, 2 cores: inference 3.7 → 83 img/s, fine-tuning 0.95 → 7.3 img/s.
 */
public final class Dl4jSetup {

  private static volatile boolean done;

  private Dl4jSetup() {}

  /** Idempotent; call before the first use of ND4J in the process. */
  public static synchronized void init() {
    if (done) {
      return;
    }
    if (onednnBuildPresent()) {
      setIfAbsent("org.bytedeco.javacpp.platform.extension", "-onednn-avx2");
    }
    setIfAbsent("org.eclipse.deeplearning4j.helpers.disable", "false");
    // DL4J's helper loading uses its own class loader setting; inside Maven the plugin realm
    org.deeplearning4j.config.DL4JClassLoading.setDl4jClassloaderFromClass(Dl4jSetup.class);
    done = true;
  }

  /**
   * @return true when the ND4J natives on the class path are the oneDNN + AVX2 build for this
   *     platform (x86-64; on ARM the plain build is used and the extension must stay unset)
   */
  static boolean onednnBuildPresent() {
    String dir = org.bytedeco.javacpp.Loader.getPlatform() + "-onednn-avx2";
    ClassLoader cl = Dl4jSetup.class.getClassLoader();
    return cl.getResource("org/nd4j/linalg/cpu/nativecpu/bindings/" + dir + "/") != null
        || cl.getResource("META-INF/native-image/" + dir + "/jnind4jcpu/reflect-config.json")
            != null;
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  /** @return true when DL4J layers will use the oneDNN helpers */
  public static boolean fastPathActive() {
    init();
    return !Boolean.parseBoolean(System.getProperty("org.eclipse.deeplearning4j.helpers.disable"))
        && BaseMKLDNNHelper.mklDnnEnabled();
  }
}
