package dev.kiln.maven.backbone;

import dev.kiln.maven.fingerprint.Hashes;
import dev.kiln.maven.problem.UserProblemException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Turns the user's {@code backbone} setting into a {@link Backbone}. The setting is a local file
 * (a keras-applications {@code .h5} weights file or a TF.js layers {@code model.json}), a
 * {@link BackboneCatalog} name such as {@code mobilenet_v1_0.25_224}, or an {@code https} URL with
 * its SHA-256; names and URLs are downloaded once into a cache ({@link BackboneDownloader}),
 * optionally from a mirror. The architecture and width are recognised from the weights.
 */
public final class BackboneResolver {

  private BackboneResolver() {}

  /**
   * Where names and URLs are fetched from.
   *
   * @param sha256 the user's SHA-256 for a URL or an unpinned catalogue name, or null
   * @param cacheDir the download cache
   * @param mirror a folder or base URL holding the files under their own names (null: the
   *     original URLs)
   * @param offline true when Maven runs offline
   * @param artifacts resolves Maven coordinates (the plugin's: Maven's repository system)
   */
  public record Source(String sha256, Path cacheDir, String mirror, boolean offline,
      ArtifactResolver artifacts) {
    public Source {
      sha256 = sha256 == null || sha256.isBlank() ? null : sha256.trim();
      mirror = mirror == null || mirror.isBlank() ? null : mirror.trim();
      artifacts = artifacts == null ? ArtifactResolver.NONE : artifacts;
    }

    /** Without Maven artifacts. */
    public Source(String sha256, Path cacheDir, String mirror, boolean offline) {
      this(sha256, cacheDir, mirror, offline, null);
    }
  }

  /**
   * @param spec the backbone setting: a file, a catalogue name or a URL
   * @param baseDir directory relative paths (files, a mirror folder) are resolved against
   * @param source cache and mirror for names and URLs
   * @param log progress lines
   * @return the local weights file (downloaded and verified when needed)
   * @throws UserProblemException naming the setting and the accepted forms
   */
  public static Path file(String spec, Path baseDir, Source source,
      java.util.function.Consumer<String> log) throws UserProblemException {
    BackboneSource parsed;
    try {
      parsed = BackboneSource.parse(spec, baseDir);
    } catch (IllegalArgumentException e) {
      throw new UserProblemException(e.getMessage() + " (setting <backbone>, property"
          + " kiln.backbone)", e);
    }
    return file(parsed, baseDir, source, log);
  }

  /**
   * @param backbone the typed backbone setting
   * @param baseDir directory a mirror folder is resolved against
   * @param source cache and mirror for names and URLs
   * @param log progress lines
   * @return the local weights file (downloaded and verified when needed)
   * @throws UserProblemException naming the setting and the accepted forms
   */
  public static Path file(BackboneSource backbone, Path baseDir, Source source,
      java.util.function.Consumer<String> log) throws UserProblemException {
    if (backbone instanceof BackboneSource.Url url) {
      String s = url.uri().toString();
      return locked(s, source.sha256(), baseDir, log, sha -> fetch(url.uri(),
          s.substring(s.lastIndexOf('/') + 1), sha, null, baseDir, source, log));
    }
    if (backbone instanceof BackboneSource.Catalogue name) {
      BackboneCatalog.Entry e = BackboneCatalog.find(name.name()).orElseThrow();
      String sha = e.sha256();
      if (sha != null && source.sha256() != null && !sha.equalsIgnoreCase(source.sha256())) {
        throw new UserProblemException("backboneSha256 " + source.sha256() + " differs from the"
            + " SHA-256 Kiln pins for " + e.name() + " (" + sha + "); remove <backboneSha256>");
      }
      if (sha != null) {
        return fetch(e.url(), e.fileName(), sha, null, baseDir, source, log);
      }
      return locked(e.name(), source.sha256(), baseDir, log,
          known -> fetch(e.url(), e.fileName(), known, e.md5(), baseDir, source, log));
    }
    if (backbone instanceof BackboneSource.Artifact artifact) {
      Path file = source.artifacts().resolve(artifact);
      log.accept("backbone " + artifact.coordinates() + ": " + file);
      return file;
    }
    return file(((BackboneSource.LocalFile) backbone).setting(), baseDir);
  }

  /** A fetch that may run without a known SHA-256 (the lock records it). */
  @FunctionalInterface
  private interface Fetch {
    Path with(String sha256) throws UserProblemException;
  }

  /**
   * Fetches with the configured SHA-256, else the one {@code kiln-backbones.lock} recorded, else
   * trusting the first download and recording its hash there.
   */
  private static Path locked(String key, String configured, Path baseDir,
      java.util.function.Consumer<String> log, Fetch fetch) throws UserProblemException {
    if (configured != null) {
      return fetch.with(configured);
    }
    BackboneLock lock = BackboneLock.in(baseDir);
    String recorded = lock.sha256(key);
    Path file = fetch.with(recorded);
    if (recorded == null) {
      String sha = sha256(file);
      try {
        lock.record(key, sha);
      } catch (IOException e) {
        throw new UserProblemException("cannot write " + lock.file() + ": " + e.getMessage(), e);
      }
      log.accept("no published SHA-256 for backbone " + key + ": recorded the first download's,"
          + " " + sha + ", in " + lock.file() + "; commit that file so that every later build"
          + " verifies the same weights");
    }
    return file;
  }

  private static Path fetch(URI original, String fileName, String sha256, String md5,
      Path baseDir, Source source, java.util.function.Consumer<String> log)
      throws UserProblemException {
    URI url = original;
    if (source.mirror() != null) {
      url = source.mirror().contains("://")
          ? uri(source.mirror().replaceAll("/*$", "/") + fileName)
          : baseDir.resolve(source.mirror()).resolve(fileName).normalize().toUri();
    }
    try {
      return new BackboneDownloader().fetch(new BackboneDownloader.Request(url, sha256,
          source.cacheDir(), fileName, source.offline(), md5), log);
    } catch (IllegalArgumentException e) {
      throw new UserProblemException("invalid backboneSha256: " + e.getMessage(), e);
    }
  }

  private static URI uri(String s) throws UserProblemException {
    try {
      return URI.create(s);
    } catch (IllegalArgumentException e) {
      throw new UserProblemException("invalid URL '" + s + "': " + e.getMessage(), e);
    }
  }

  /**
   * @param file a local weights file
   * @param inputSize input width and height (0: 224)
   * @return the backbone with its weights, its family recognised from the layer names
   * @throws UserProblemException when the file is not a supported backbone
   */
  public static Backbone resolve(Path file, int inputSize) throws UserProblemException {
    return resolve(file, inputSize, null);
  }

  /**
   * @param file a local weights file
   * @param inputSize input width and height (0: 224)
   * @param family the family ({@code id[:variant]}, see {@link #family}), or null to recognise it
   *     from the layer names
   * @return the backbone with its weights
   * @throws UserProblemException when the file is not a supported backbone, or the size is not
   *     one the family takes
   */
  public static Backbone resolve(Path file, int inputSize, String family)
      throws UserProblemException {
    Map<String, WeightTensor> weights = KerasWeights.read(file);
    Architecture arch;
    if (family != null) {
      try {
        arch = Families.named(family);
      } catch (IllegalArgumentException e) {
        throw new UserProblemException(e.getMessage() + " (setting <backboneFamily>, property"
            + " kiln.backboneFamily)", e);
      }
    } else {
      arch = recognise(weights, file);
    }
    int size = inputSize == 0 ? 224 : inputSize;
    try {
      arch.checkInputSize(size);
    } catch (IllegalArgumentException e) {
      throw new UserProblemException("inputSize " + size + ": " + e.getMessage()
          + " (setting <inputSize>, property kiln.inputSize)", e);
    }
    return new Backbone(file.toString(), sha256(file), arch, size, weights);
  }

  /**
   * @param file an ONNX model (a PyTorch export, or a Kiln model)
   * @param featureLayer the tensor to cut at, or null for the default (the classifier's input)
   * @param preprocessing the user's {@code preprocessing} spec (null: a Kiln model's own)
   * @param resize how photos are fitted (the {@code resize} setting)
   * @return the backbone: the graph cut at that tensor, its shape measured by running it
   * @throws UserProblemException naming the file and the setting to fix
   */
  public static Backbone resolveOnnx(Path file, String featureLayer, String preprocessing,
      dev.kiln.runtime.image.Preprocessing.Resize resize) throws UserProblemException {
    return resolveOnnx(file, featureLayer, preprocessing, resize, false);
  }

  /**
   * @param trainLayers true for {@code fine-tune} and {@code full}: the graph's weights are
   *     converted for import into DL4J
   * @see #resolveOnnx(Path, String, String, dev.kiln.runtime.image.Preprocessing.Resize)
   */
  public static Backbone resolveOnnx(Path file, String featureLayer, String preprocessing,
      dev.kiln.runtime.image.Preprocessing.Resize resize, boolean trainLayers)
      throws UserProblemException {
    dev.kiln.maven.export.proto.OnnxProto.ModelProto model;
    try {
      model = dev.kiln.maven.export.OnnxSurgery.parse(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UserProblemException("cannot read backbone " + file + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new UserProblemException("backbone " + file + ": " + e.getMessage(), e);
    }
    if (model.getMetadataPropsList().stream().anyMatch(p -> p.getKey().equals(
        dev.kiln.runtime.ModelMetadata.TRAINING_PREFIX + "test_time_flip")
        && p.getValue().equals("true"))) {
      throw new UserProblemException("backbone " + file + " is a Kiln model built with"
          + " testTimeFlip: its graph runs every photo twice (itself and its mirror image), so it"
          + " cannot be cut into a backbone; use the same model built without testTimeFlip");
    }
    dev.kiln.runtime.image.Preprocessing pre = onnxPreprocessing(model, file, preprocessing,
        resize);
    dev.kiln.maven.export.OnnxSurgery.Cut cut;
    if (featureLayer != null) {
      if (!dev.kiln.maven.export.OnnxSurgery.tensors(model).contains(featureLayer)) {
        throw new UserProblemException("featureLayer '" + featureLayer + "' is no tensor of "
            + file + "; name a node output (the default is the classifier's input: "
            + dev.kiln.maven.export.OnnxSurgery.defaultCut(model).tensor() + ")");
      }
      cut = new dev.kiln.maven.export.OnnxSurgery.Cut(featureLayer, "featureLayer");
    } else {
      cut = dev.kiln.maven.export.OnnxSurgery.defaultCut(model);
    }
    long[] shape;
    try {
      shape = dev.kiln.maven.export.OnnxSurgery.shapeOf(model, cut.tensor(), pre.width());
    } catch (IllegalArgumentException e) {
      throw new UserProblemException("backbone " + file + ": " + e.getMessage()
          + "; check <preprocessing> size (kiln.preprocessing)", e);
    }
    if (shape.length != 4 && shape.length != 2) {
      throw new UserProblemException("backbone " + file + ": the cut '" + cut.tensor()
          + "' has shape " + java.util.Arrays.toString(shape) + "; set <featureLayer> to a"
          + " feature map [N, C, H, W] or a vector [N, C]");
    }
    String name = file.getFileName().toString().replaceAll("\\.onnx$", "");
    OnnxImport imported = new OnnxImport(model, dev.kiln.maven.export.OnnxSurgery.inputName(model),
        pre.width());
    OnnxArchitecture arch = new OnnxArchitecture("onnx:" + name, model, cut.tensor(), cut.why(),
        shape, pre, imported);
    return new Backbone(file.toString(), sha256(file), arch, pre.width(),
        trainLayers ? imported.kerasWeights() : Map.of());
  }

  /**
   * Imports the part of an ONNX backbone that will train into a scratch DL4J graph, so that an
   * operator outside the subset fails before any photo is read.
   *
   * @param backbone an ONNX backbone
   * @param topUnits the units {@code fine-tune} trains; 0 for the whole graph ({@code full})
   * @throws IllegalArgumentException naming the operator, its node, and what still works
   */
  public static void checkImport(Backbone backbone, int topUnits) {
    OnnxArchitecture a = (OnnxArchitecture) backbone.architecture();
    var b = new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().graphBuilder()
        .addInputs(Backbone.INPUT);
    if (topUnits == 0) {
      a.addFeatures(b, Backbone.INPUT, a.cut(), true);
    } else {
      if (topUnits > a.trainableUnits()) {
        throw new IllegalArgumentException("fineTuneBlocks " + topUnits + ": the graph has "
            + a.trainableUnits() + " units up to " + a.cut());
      }
      a.addTop(b, Backbone.INPUT, topUnits);
    }
  }

  /** The user's spec; else, for a Kiln model, its own (raw RGB: it normalises inside). */
  private static dev.kiln.runtime.image.Preprocessing onnxPreprocessing(
      dev.kiln.maven.export.proto.OnnxProto.ModelProto model, Path file, String spec,
      dev.kiln.runtime.image.Preprocessing.Resize resize) throws UserProblemException {
    String s = spec;
    if (s == null) {
      s = model.getMetadataPropsList().stream()
          .filter(p -> p.getKey().equals(dev.kiln.runtime.ModelMetadata.KEY_PREPROCESSING))
          .map(p -> p.getValue()).findFirst().orElse(null);
    }
    if (s == null) {
      throw new UserProblemException("backbone " + file + " is an ONNX model: state how it"
          + " expects its input with <preprocessing> (kiln.preprocessing), e.g."
          + " size=224x224;channels=RGB;scale=1;mean=127.5,127.5,127.5;std=127.5,127.5,127.5"
          + " for x/127.5 − 1, or size=224x224;mean=123.675,116.28,103.53;std=58.395,57.12,57.375"
          + " for torchvision's ImageNet normalisation; keys: size, channels (RGB|BGR), layout"
          + " (NCHW), scale, mean, std (see docs/model-format.md)");
    }
    if (!s.contains("resize=")) {
      s = s + ";resize=" + resize.id();
    }
    dev.kiln.runtime.image.Preprocessing p;
    try {
      p = dev.kiln.runtime.image.Preprocessing.parse(s);
    } catch (IllegalArgumentException e) {
      throw new UserProblemException("invalid <preprocessing> (kiln.preprocessing): "
          + e.getMessage(), e);
    }
    if (p.resize() != resize) {
      throw new UserProblemException("<preprocessing> says resize=" + p.resize().id()
          + " but <resize> (kiln.resize) is " + resize.id() + "; leave resize out of"
          + " <preprocessing> or make them agree");
    }
    if (p.width() != p.height() || p.layout() != dev.kiln.runtime.image.Preprocessing.Layout.NCHW) {
      throw new UserProblemException("<preprocessing> " + s + ": an ONNX backbone takes square"
          + " NCHW images (e.g. size=224x224;layout=NCHW)");
    }
    return p;
  }

  /**
   * @param spec the {@code backboneFamily} setting, {@code id[:variant]}
   * @return it, normalised
   * @throws IllegalArgumentException naming the valid families and variants
   */
  public static String family(String spec) {
    Families.named(spec);
    return spec.trim().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * @param source the backbone setting
   * @return the input size its weights were trained at: a catalogue entry's, else 224
   */
  public static int trainedSize(BackboneSource source) {
    return source instanceof BackboneSource.Catalogue c
        ? BackboneCatalog.find(c.name()).map(BackboneCatalog.Entry::inputSize).orElse(224) : 224;
  }

  /**
   * @param spec the backbone setting (a file path)
   * @param baseDir directory relative paths are resolved against
   * @param inputSize input width and height (MobileNet v1: 128..224)
   * @return the backbone with its weights
   * @throws UserProblemException naming the setting and the accepted forms
   */
  public static Backbone resolve(String spec, Path baseDir, int inputSize)
      throws UserProblemException {
    return resolve(file(spec, baseDir), inputSize);
  }

  /**
   * @param spec the backbone setting
   * @param baseDir directory relative paths are resolved against
   * @return the weights file the setting names (without reading it)
   * @throws UserProblemException naming the setting and the accepted forms
   */
  public static Path file(String spec, Path baseDir) throws UserProblemException {
    if (spec == null || spec.isBlank()) {
      throw new UserProblemException("no backbone configured: set <backbone> (kiln.backbone) to a"
          + " catalogue name (e.g. mobilenet_v1_0.25_224), a keras-applications MobileNet .h5"
          + " weights file or a TF.js layers model.json");
    }
    Path file = baseDir.resolve(spec.trim()).normalize();
    if (!Files.isRegularFile(file)) {
      throw new UserProblemException("unknown backbone '" + spec + "': no such file " + file
          + " and no catalogue name. Use a catalogue name (" + String.join(", ",
              BackboneCatalog.names()) + "), an https URL with <backboneSha256>, or a local"
          + " keras-applications weights file (a MobileNet v1 .h5 such as"
          + " mobilenet_2_5_224_tf_no_top.h5, MobileNetV2, ResNet50, VGG16/19, SqueezeNet v1.1)"
          + " or TF.js layers model.json");
    }
    return file;
  }

  static Architecture recognise(Map<String, WeightTensor> weights, Path file)
      throws UserProblemException {
    try {
      return Families.recognise(weights).orElseThrow(() -> new UserProblemException("backbone "
          + file + " holds weights Kiln does not recognise (first names: "
          + weights.keySet().stream().limit(4).toList() + "); supported: "
          + Families.described()));
    } catch (IllegalArgumentException e) {
      throw new UserProblemException("backbone " + file + ": " + e.getMessage());
    }
  }

  /**
   * @param file any file
   * @return its SHA-256, lower-case hex
   * @throws UserProblemException when it cannot be read
   */
  public static String sha256(Path file) throws UserProblemException {
    try {
      return Hashes.sha256(file);
    } catch (IOException e) {
      throw new UserProblemException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
