package dev.kiln.maven.backbone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.junit.jupiter.api.Test;

/**
 * The catalogue's data agrees with the families it names: each entry's family and variant build,
 * its parameter count is the architecture's, its default cut is the architecture's last feature
 * layer and its input size is one the family takes; names are unique; hashes are well formed.
 */
class CatalogueTest {

  @Test
  void everyEntryAgreesWithItsArchitecture() {
    List<BackboneCatalog.Entry> entries = BackboneCatalog.entries();
    assertTrue(entries.size() >= 40, "entries: " + entries.size());
    assertEquals(entries.size(), entries.stream().map(BackboneCatalog.Entry::name).distinct()
        .count(), "names are unique");
    Map<String, Long> counted = new HashMap<>();
    for (BackboneCatalog.Entry e : entries) {
      Architecture arch = e.architecture();
      arch.checkInputSize(e.inputSize());
      assertEquals(arch.lastFeatureLayer(), e.defaultCut(), e.name() + " default cut");
      long params = counted.computeIfAbsent(arch.id(), id -> parameters(arch));
      assertEquals(params, e.parameters(), e.name() + " parameters");
      assertTrue(e.top1() > 40 && e.top1() < 90, e.name() + " top-1 " + e.top1());
      assertTrue(e.fileName().endsWith(".h5"), e.name());
    }
  }

  @Test
  void kerasPublishedMd5sAreVerifiedForResNetAndVgg() {
    assertEquals("4d473c1dd8becc155b73f8504c6f6626",
        BackboneCatalog.find("resnet50").orElseThrow().md5());
    assertEquals("6d6bbae143d832006294945121d1f1fc",
        BackboneCatalog.find("vgg16").orElseThrow().md5());
    assertEquals("253f8cb515780f3b799900260a226db6",
        BackboneCatalog.find("vgg19").orElseThrow().md5());
  }

  @Test
  void familiesByNameWithVariants() {
    assertEquals("mobilenet_v2_0.5", Families.named("mobilenet_v2:0.5").id());
    assertEquals("resnet50", Families.named("ResNet50").id());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Families.named("alexnet"));
    assertTrue(e.getMessage().contains("mobilenet_v2:<0.35|0.5|0.75|1.0|1.3|1.4>"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Families.named("mobilenet_v1:0.3"));
    assertTrue(e.getMessage().contains("0.25, 0.5, 0.75, 1.0"), e.getMessage());
    assertEquals("MobileNetV2 α0.5", Families.describe("mobilenet_v2", "0.5"));
  }

  private static long parameters(Architecture arch) {
    ComputationGraphConfiguration.GraphBuilder b = new NeuralNetConfiguration.Builder()
        .graphBuilder().addInputs("input").setInputTypes(InputType.convolutional(
            FamilyConformanceTest.size(arch), FamilyConformanceTest.size(arch), 3));
    arch.addFeatures(b, "input", arch.lastFeatureLayer());
    b.setOutputs(arch.lastFeatureLayer());
    // counted from the configuration: initialising EfficientNetB7 (64 M parameters) takes long
    long params = 0;
    for (var v : b.build().getVertices().values()) {
      if (v instanceof org.deeplearning4j.nn.conf.graph.LayerVertex l) {
        params += l.getLayerConf().getLayer().initializer().numParams(l.getLayerConf());
      }
    }
    return params;
  }
}
