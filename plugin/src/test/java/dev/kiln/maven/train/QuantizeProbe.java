package dev.kiln.maven.train;

import dev.kiln.maven.backbone.Backbone;
import dev.kiln.maven.backbone.BackboneResolver;
import dev.kiln.maven.dataset.Dataset;
import dev.kiln.maven.dataset.DatasetScanner;
import dev.kiln.maven.dataset.LabelledImage;
import dev.kiln.maven.export.Quantizer;
import dev.kiln.runtime.Classification;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.ImageClassifier;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Scratch probe for int8 (not a test). */
public final class QuantizeProbe {
  public static void main(String[] args) throws Exception {
    Path fx = Path.of("/work/shared/fixtures");
    Backbone b = BackboneResolver.resolve(fx.resolve(args[0]).toString(), Path.of("."), 224);
    Dataset data = DatasetScanner.scan(new DatasetScanner.Request(fx.resolve("datasets/hymenoptera"),
        List.of(), List.of(), 0.2, 42));
    TrainingResult r = Trainer.train(TrainingRequest.builder(data, b).build(), ProgressListener.NONE);
    Preprocessing raw = Preprocessing.raw(224, Preprocessing.Resize.CENTER_CROP);
    List<float[]> cal = new ArrayList<>();
    List<long[]> shapes = new ArrayList<>();
    List<LabelledImage> train = data.train();
    for (int i = 0; i < 64; i += 16) {
      float[] t = new float[16 * raw.tensorSize()];
      for (int j = 0; j < 16; j++) {
        Preprocessor.writeTensor(Preprocessor.load(train.get((i + j) * 3 % train.size()).file(), raw), raw, t, j * raw.tensorSize());
      }
      cal.add(t);
      shapes.add(new long[] {16, 3, 224, 224});
    }
    long t0 = System.nanoTime();
    byte[] q = Quantizer.int8(r.onnx(), cal, shapes);
    System.out.printf("quantised in %d ms: float %d bytes, int8 %d bytes (%.2fx)%n", (System.nanoTime() - t0) / 1000000, r.onnx().length, q.length, q.length / (double) r.onnx().length);
    java.nio.file.Files.write(Path.of("/tmp/int8.onnx"), q);
    java.nio.file.Files.write(Path.of("/tmp/float.onnx"), r.onnx());
    for (byte[] model : List.of(r.onnx(), q)) {
      try (ImageClassifier c = ImageClassifier.load(model, "m", ClassifierOptions.defaults().withDevice(Device.CPU))) {
        List<LabelledImage> val = data.validation();
        List<Classification> out = c.classifyFiles(val.stream().map(LabelledImage::file).toList());
        int right = 0;
        for (int i = 0; i < val.size(); i++) right += out.get(i).best().index() == val.get(i).label() ? 1 : 0;
        List<java.awt.image.BufferedImage> imgs = new ArrayList<>();
        for (int i = 0; i < 16; i++) imgs.add(Preprocessor.load(val.get(i).file(), raw));
        for (int w = 0; w < 3; w++) c.classifyImages(imgs);
        long a = System.nanoTime();
        for (int w = 0; w < 10; w++) c.classifyImages(imgs);
        long bt = System.nanoTime();
        for (int w = 0; w < 40; w++) c.classifyImages(imgs.subList(0, 1));
        long e = System.nanoTime();
        System.out.printf("accuracy %d/73, batch16 %.1f img/s, batch1 %.1f img/s%n", right, 160 / ((bt - a) / 1e9), 40 / ((e - bt) / 1e9));
      }
    }
  }
}
