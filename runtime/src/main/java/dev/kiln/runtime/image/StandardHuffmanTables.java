package dev.kiln.runtime.image;

import java.io.ByteArrayOutputStream;
import javax.imageio.plugins.jpeg.JPEGHuffmanTable;

/**
 * Motion-JPEG frames (from webcams, IP cameras and video) usually carry no DHT segment: the
 * decoder is to assume the standard Huffman tables of ITU-T T.81 Annex K.3, as libjpeg and
 * Pillow do. The JDK's and TwelveMonkeys' readers refuse such frames, so a frame without a DHT
 * before its first scan gets the standard tables inserted after its SOI marker.
 */
final class StandardHuffmanTables {

  private static final byte[] SEGMENT = segment();

  private StandardHuffmanTables() {}

  /** @return {@code jpeg} with the standard tables inserted when it lacks its own; else itself */
  static byte[] supplyIfMissing(byte[] jpeg) {
    if (jpeg.length < 4 || (jpeg[0] & 0xff) != 0xFF || (jpeg[1] & 0xff) != 0xD8) {
      return jpeg; // not a JPEG
    }
    int i = 2;
    while (i + 3 < jpeg.length) {
      if ((jpeg[i] & 0xff) != 0xFF) {
        return jpeg; // not a marker where one should be: let the decoder report it
      }
      int marker = jpeg[i + 1] & 0xff;
      if (marker == 0xFF) {
        i++; // fill byte
        continue;
      }
      if (marker == 0xC4) {
        return jpeg; // has its own tables
      }
      if (marker == 0xDA) {
        byte[] out = new byte[jpeg.length + SEGMENT.length];
        System.arraycopy(jpeg, 0, out, 0, 2);
        System.arraycopy(SEGMENT, 0, out, 2, SEGMENT.length);
        System.arraycopy(jpeg, 2, out, 2 + SEGMENT.length, jpeg.length - 2);
        return out;
      }
      if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
        i += 2; // no length
        continue;
      }
      i += 2 + (((jpeg[i + 2] & 0xff) << 8) | (jpeg[i + 3] & 0xff));
    }
    return jpeg;
  }

  /** @return a DHT segment holding Annex K.3's four tables */
  private static byte[] segment() {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    table(body, 0x00, JPEGHuffmanTable.StdDCLuminance);
    table(body, 0x10, JPEGHuffmanTable.StdACLuminance);
    table(body, 0x01, JPEGHuffmanTable.StdDCChrominance);
    table(body, 0x11, JPEGHuffmanTable.StdACChrominance);
    byte[] b = body.toByteArray();
    byte[] out = new byte[4 + b.length];
    out[0] = (byte) 0xFF;
    out[1] = (byte) 0xC4;
    out[2] = (byte) ((b.length + 2) >> 8);
    out[3] = (byte) (b.length + 2);
    System.arraycopy(b, 0, out, 4, b.length);
    return out;
  }

  private static void table(ByteArrayOutputStream out, int classAndId, JPEGHuffmanTable t) {
    out.write(classAndId);
    for (short n : t.getLengths()) {
      out.write(n);
    }
    for (short v : t.getValues()) {
      out.write(v);
    }
  }
}
