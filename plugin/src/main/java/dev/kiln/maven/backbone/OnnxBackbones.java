package dev.kiln.maven.backbone;

import dev.kiln.maven.problem.UserProblemException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * ONNX models as backbones (a PyTorch export, a Kiln model): parsed and refused early with what
 * to do, their preprocessing (the user's, or a Kiln model's own), the cut (named or found) with
 * its shape measured by running the graph, and — for {@code fine-tune} and {@code full} — their
 * weights converted for import into DL4J, checked before any photo is read.
 */
public final class OnnxBackbones {

  private OnnxBackbones() {}

  /**
   * @param file an ONNX model (a PyTorch export, or a Kiln model)
   * @param featureLayer the tensor to cut at, or null for the default (the classifier's input)
   * @param preprocessing the user's {@code preprocessing} spec (null: a Kiln model's own)
   * @param resize how photos are fitted (the {@code resize} setting)
   * @return the backbone: the graph cut at that tensor, its shape measured by running it
   * @throws UserProblemException naming the file and the setting to fix
   */
  public static Backbone resolve(Path file, String featureLayer, String preprocessing,
      dev.kiln.runtime.image.Preprocessing.Resize resize) throws UserProblemException {
    return resolve(file, featureLayer, preprocessing, resize, false);
  }

  /**
   * @param trainLayers true for {@code fine-tune} and {@code full}: the graph's weights are
   *     converted for import into DL4J
   * @see #resolve(Path, String, String, dev.kiln.runtime.image.Preprocessing.Resize)
   */
  public static Backbone resolve(Path file, String featureLayer, String preprocessing,
      dev.kiln.runtime.image.Preprocessing.Resize resize, boolean trainLayers)
      throws UserProblemException {
    dev.kiln.onnx.OnnxProto.ModelProto model;
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
    return new Backbone(file.toString(), BackboneResolver.sha256(file), arch, pre.width(),
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
      dev.kiln.onnx.OnnxProto.ModelProto model, Path file, String spec,
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
    dev.kiln.runtime.image.Preprocessing p;
    try {
      p = dev.kiln.runtime.image.Preprocessing.parse(s, resize);
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

}
