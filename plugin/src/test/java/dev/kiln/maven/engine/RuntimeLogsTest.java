package dev.kiln.maven.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.runtime.image.ImageDecoder;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;

class RuntimeLogsTest {

  static byte[] animatedGif(int frames) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
    try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.prepareWriteSequence(null);
      for (int i = 0; i < frames; i++) {
        writer.writeToSequence(new IIOImage(new BufferedImage(4, 4,
            BufferedImage.TYPE_INT_RGB), null, null), null);
      }
      writer.endWriteSequence();
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  @Test
  void aPhotoDecodedWithAWarningIsNamedInTheBuildLogOnce() throws Exception {
    byte[] gif = animatedGif(2);
    List<String> warnings = new ArrayList<>();
    try (RuntimeLogs logs = RuntimeLogs.toBuild(warnings::add)) {
      for (int epoch = 0; epoch < 3; epoch++) {
        ImageDecoder.decode(gif, "images/cats/dance.gif", 0);
      }
    }
    ImageDecoder.decode(gif, "after the goal", 0);
    assertEquals(List.of("image images/cats/dance.gif is an animated GIF of 2 frames: only the"
        + " first frame is used"), warnings);
  }
}
