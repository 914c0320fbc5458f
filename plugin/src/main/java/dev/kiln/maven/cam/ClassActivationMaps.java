package dev.kiln.maven.cam;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.kiln.onnx.OnnxGraph;
import dev.kiln.onnx.OnnxProto.ModelProto;
import dev.kiln.runtime.ClassifierOptions;
import dev.kiln.runtime.Device;
import dev.kiln.runtime.KilnException;
import dev.kiln.runtime.ModelMetadata;
import dev.kiln.runtime.image.Preprocessing;
import dev.kiln.runtime.image.Preprocessor;
import dev.kiln.runtime.internal.Sessions;
import java.awt.image.BufferedImage;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Class activation maps from a shipped Kiln model: the model's head is read from its ONNX graph
 * ({@link PooledHead}: one linear layer on one or several average-pooled blocks); every block's
 * maps become an output, so one forward pass gives the probabilities and the maps {@code A^b_k}, and
 * {@code CAM^b_c = Σ_k w_ck · A^b_k} with the block's own slice of the weights. The class weights
 * are centred over the classes first (softmax ignores what all classes share, so the map shows
 * what tells this class from the others). The logit is {@code Σ_b mean(CAM^b_c)} plus the bias:
 * the photo's map is the sum of the blocks' maps, each upsampled bilinearly to the finest block's
 * grid and then shifted by a constant so that its mean stays the block's own ({@link #resized});
 * so the map's mean is still the class's centred logit without its bias. With test-time flip
 * both halves of the doubled batch give maps: the mirror image's is mirrored back and the two are
 * averaged. Heads that are not one linear layer on average-pooled maps are named, not drawn.
 */
public final class ClassActivationMaps {

  /** Photos per forward pass. */
  private static final int BATCH = 8;

  /**
   * One photo's maps, for the class the model believed.
   *
   * @param believed the class with the highest probability
   * @param probability its probability
   * @param blocks {@code CAM^b} per branch (the photo, then its mirror image under test-time
   *     flip, not mirrored back) and per block, each on its own grid
   * @param map the map drawn: per branch the blocks' maps on the finest grid, added; the
   *     branches averaged, the mirror image's mirrored back
   */
  record PhotoMaps(int believed, float probability, List<List<float[][]>> blocks,
      float[][] map) {
    PhotoMaps {
      blocks = List.copyOf(blocks);
      if (believed < 0 || blocks.isEmpty() || map.length == 0) {
        throw new IllegalArgumentException("a photo's maps have a class, a branch and a map");
      }
    }
  }

  private ClassActivationMaps() {}

  /**
   * @param onnx the shipped model
   * @param metadata its contract (labels, preprocessing)
   * @param root the folder the photos' paths are relative to
   * @param photos the photos to draw, relative paths
   * @return their maps over them, or why none were drawn
   */
  public static ActivationMaps draw(byte[] onnx, ModelMetadata metadata, Path root,
      List<String> photos) {
    ModelProto model;
    try {
      model = ModelProto.parseFrom(onnx);
    } catch (InvalidProtocolBufferException e) {
      return ActivationMaps.none("Activation maps not drawn: the model cannot be read ("
          + e.getMessage() + ").");
    }
    PooledHead head;
    try {
      head = PooledHead.read(model.getGraph());
    } catch (NotLinear e) {
      return ActivationMaps.none("Activation maps not drawn: " + e.getMessage() + ". A class"
          + " activation map is exact only for a head that is one linear layer on"
          + " average-pooled feature maps (mode feature-extractor, fine-tune, full or scratch with"
          + " pooling avg, no hiddenUnits, quantize none or int8; several featureDepths, several"
          + " backbones and testTimeFlip are drawn too); a map drawn for this one would be"
          + " wrong.");
    }
    Map<String, ActivationMaps.Overlay> overlays = new LinkedHashMap<>();
    List<int[]> grids = new ArrayList<>();
    String output = model.getGraph().getOutput(0).getName();
    try {
      Sessions.Opened opened = Sessions.open(withMaps(model, head).toByteArray(),
          "activation maps", ClassifierOptions.defaults().withDevice(Device.CPU));
      try (OrtSession session = opened.session()) {
        for (int from = 0; from < photos.size(); from += BATCH) {
          run(session, output, head, metadata, root,
              photos.subList(from, Math.min(photos.size(), from + BATCH)), overlays, grids);
        }
      }
    } catch (KilnException | OrtException e) {
      return ActivationMaps.none("Activation maps not drawn: ONNX Runtime could not run the"
          + " model with its feature maps as an output (" + e.getMessage() + ").");
    } catch (NotLinear e) {
      return ActivationMaps.none("Activation maps not drawn: " + e.getMessage() + ".");
    }
    return new ActivationMaps(note(grids, head.flip()), overlays);
  }

  /** @return what the maps show, for the blocks' grids ({@code [H, W]} each) */
  static String note(List<int[]> grids, boolean flip) {
    String flipped = flip ? " With test-time flip the model averages each photo and its mirror"
        + " image: the map is the mean of the photo's map and its mirror image's map, mirrored"
        + " back." : "";
    if (grids.size() <= 1) {
      int[] g = grids.isEmpty() ? new int[] {0, 0} : grids.get(0);
      return String.format(Locale.ROOT, "Where the model looks: the class activation map (Zhou"
          + " et al. 2016) of the label the model believed, over the photo as the model saw it;"
          + " red where the %dx%d feature maps before its average pooling push towards that"
          + " label most, blue least. Exact for this head (one linear layer on the average of"
          + " those maps), from one forward pass of the shipped model.%s", g[0], g[1], flipped);
    }
    int[] finest = finest(grids);
    List<String> sizes = grids.stream().map(g -> g[0] + "x" + g[1]).toList();
    boolean upsampled = grids.stream().anyMatch(g -> g[0] != finest[0] || g[1] != finest[1]);
    return String.format(Locale.ROOT, "Where the model looks: the class activation map (Zhou et"
        + " al. 2016) of the label the model believed, over the photo as the model saw it; red"
        + " where the feature maps before its average poolings push towards that label most,"
        + " blue least. The model joins the pooled features of %d blocks (%s feature maps):"
        + " %s, and the blocks' maps are added. Exact for this head (one linear layer on the"
        + " averages of those maps: each block's map averages to its part of the class score),"
        + " from one forward pass of the shipped model.%s", grids.size(),
        String.join(", ", sizes.subList(0, sizes.size() - 1)) + " and "
        + sizes.get(sizes.size() - 1), upsampled ? String.format(Locale.ROOT, "each block's"
        + " map is upsampled bilinearly to %dx%d with its mean kept", finest[0], finest[1])
        : "each block's map is on the same grid", flipped);
  }

  /** @return the model with every block's maps as an output besides its probabilities */
  static ModelProto withMaps(ModelProto model, PooledHead head) {
    ModelProto.Builder withMaps = model.toBuilder();
    for (String block : head.blocks()) {
      withMaps.getGraphBuilder().addOutput(OnnxGraph.floatValue(block, (long[]) null));
    }
    return withMaps.build();
  }

  private static void run(OrtSession session, String output, PooledHead head,
      ModelMetadata metadata, Path root, List<String> batch,
      Map<String, ActivationMaps.Overlay> overlays, List<int[]> grids)
      throws OrtException, NotLinear {
    Preprocessing spec = metadata.preprocessing();
    Map<String, BufferedImage> fitted = new LinkedHashMap<>();
    for (String photo : batch) {
      try {
        fitted.put(photo, Preprocessor.load(root.resolve(photo), spec));
      } catch (KilnException e) {
        // an unreadable photo has no map; the report shows it without one
      }
    }
    if (fitted.isEmpty()) {
      return;
    }
    int n = fitted.size();
    float[] input = new float[n * spec.tensorSize()];
    int i = 0;
    for (BufferedImage image : fitted.values()) {
      Preprocessor.writeTensor(image, spec, input, i++ * spec.tensorSize());
    }
    List<PhotoMaps> maps = forward(session, output, head, input, spec.shape(n), grids);
    int j = 0;
    for (Map.Entry<String, BufferedImage> e : fitted.entrySet()) {
      PhotoMaps m = maps.get(j++);
      overlays.put(e.getKey(), new ActivationMaps.Overlay(
          HeatOverlay.dataUri(HeatOverlay.draw(e.getValue(), m.map())),
          metadata.labels().get(m.believed()), m.probability()));
    }
  }

  /**
   * One forward pass of a batch through the model {@link #withMaps} made.
   *
   * @param input the photos' tensor, {@code shape}
   * @param grids receives each block's {@code [H, W]} (on the first call)
   * @return per photo its maps for the class it believed
   * @throws NotLinear when the blocks' channels do not add up to the linear layer's width
   */
  static List<PhotoMaps> forward(OrtSession session, String output, PooledHead head,
      float[] input, long[] shape, List<int[]> grids) throws OrtException, NotLinear {
    int n = (int) shape[0];
    Set<String> wanted = new LinkedHashSet<>(head.blocks());
    wanted.add(output);
    String inputName = session.getInputNames().iterator().next();
    try (OnnxTensor x = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(),
        FloatBuffer.wrap(input), shape);
        OrtSession.Result r = session.run(Map.of(inputName, x), wanted)) {
      FloatBuffer p = ((OnnxTensor) r.get(output).orElseThrow()).getFloatBuffer();
      int blocks = head.blocks().size();
      FloatBuffer[] a = new FloatBuffer[blocks];
      int[][] dims = new int[blocks][]; // K, H, W
      int[] offset = new int[blocks + 1];
      for (int b = 0; b < blocks; b++) {
        OnnxTensor maps = (OnnxTensor) r.get(head.blocks().get(b)).orElseThrow();
        long[] s = maps.getInfo().getShape(); // [N or 2N, K, H, W]
        if (s.length != 4) {
          throw new NotLinear("the pooled block '" + head.blocks().get(b) + "' is not a feature"
              + " map [N, C, H, W]");
        }
        a[b] = maps.getFloatBuffer();
        dims[b] = new int[] {(int) s[1], (int) s[2], (int) s[3]};
        offset[b + 1] = offset[b] + dims[b][0];
      }
      int width = head.weights()[0].length;
      if (offset[blocks] != width) {
        throw new NotLinear("the pooled blocks have " + offset[blocks] + " channels but the"
            + " linear layer reads " + width);
      }
      if (grids.isEmpty()) {
        for (int[] d : dims) {
          grids.add(new int[] {d[1], d[2]});
        }
      }
      int classes = p.remaining() / n;
      int branches = head.flip() ? 2 : 1;
      List<PhotoMaps> out = new ArrayList<>();
      for (int j = 0; j < n; j++) {
        float[] row = new float[classes];
        p.get(j * classes, row);
        int best = 0;
        for (int c = 1; c < classes; c++) {
          if (row[c] > row[best]) {
            best = c;
          }
        }
        List<List<float[][]>> cams = new ArrayList<>();
        for (int branch = 0; branch < branches; branch++) {
          int photo = j + branch * n; // the doubled batch: the photos, then their mirror images
          List<float[][]> perBlock = new ArrayList<>();
          for (int b = 0; b < blocks; b++) {
            int size = dims[b][0] * dims[b][1] * dims[b][2];
            perBlock.add(cam(a[b], photo * size, dims[b][0], dims[b][1], dims[b][2],
                Arrays.copyOfRange(head.weights()[best], offset[b], offset[b + 1])));
          }
          cams.add(perBlock);
        }
        out.add(new PhotoMaps(best, row[best], cams, combine(cams)));
      }
      return out;
    }
  }

  /**
   * @param cams per branch (the photo, then its mirror image if any) and per block, its map
   * @return per branch the blocks' maps {@link #resized} to the finest grid and added; the mirror
   *     image's sum mirrored back; the branches' mean
   */
  static float[][] combine(List<List<float[][]>> cams) {
    List<int[]> grids = cams.get(0).stream().map(m -> new int[] {m.length, m[0].length})
        .toList();
    int[] finest = finest(grids);
    float[][] out = new float[finest[0]][finest[1]];
    for (int branch = 0; branch < cams.size(); branch++) {
      for (float[][] block : cams.get(branch)) {
        float[][] up = resized(block, finest[0], finest[1]);
        for (int y = 0; y < finest[0]; y++) {
          for (int x = 0; x < finest[1]; x++) {
            int from = branch == 0 ? x : finest[1] - 1 - x; // the mirror image's, mirrored back
            out[y][x] += up[y][from] / cams.size();
          }
        }
      }
    }
    return out;
  }

  /** @return the largest height and width among the grids */
  private static int[] finest(List<int[]> grids) {
    int h = 0;
    int w = 0;
    for (int[] g : grids) {
      h = Math.max(h, g[0]);
      w = Math.max(w, g[1]);
    }
    return new int[] {h, w};
  }

  /**
   * A block's map on another grid: bilinear (half-pixel centres, edges repeated, as ONNX Resize
   * and most image libraries do), then shifted by one constant so that its mean is the original
   * map's mean — the block's exact part of the class score; bilinear alone moves the mean a
   * little at the edges.
   *
   * @return the map on {@code h × w}; the map itself when its grid is that already
   */
  static float[][] resized(float[][] map, int h, int w) {
    int mh = map.length;
    int mw = map[0].length;
    if (mh == h && mw == w) {
      return map;
    }
    double[][] up = HeatOverlay.upsample(map, h, w);
    double upMean = 0;
    for (double[] row : up) {
      for (double v : row) {
        upMean += v / ((double) h * w);
      }
    }
    double shift = mean(map) - upMean;
    float[][] out = new float[h][w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        out[y][x] = (float) (up[y][x] + shift);
      }
    }
    return out;
  }

  /** @return the mean of a map's cells */
  static double mean(float[][] map) {
    double sum = 0;
    for (float[] row : map) {
      for (float v : row) {
        sum += v;
      }
    }
    return sum / ((double) map.length * map[0].length);
  }

  /**
   * @param maps feature maps, {@code [N, K, H, W]}
   * @param base where one photo's maps start
   * @param weights one class's weights, one per map
   * @return {@code CAM = Σ_k w_k · A_k}, {@code [H][W]}
   */
  static float[][] cam(FloatBuffer maps, int base, int k, int h, int w, float[] weights) {
    float[][] cam = new float[h][w];
    for (int ch = 0; ch < k; ch++) {
      float wk = weights[ch];
      int off = base + ch * h * w;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          cam[y][x] += wk * maps.get(off + y * w + x);
        }
      }
    }
    return cam;
  }

}
