package dev.kiln.maven.backbone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.maven.problem.UserProblemException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the weights of a TensorFlow.js layers model: {@code model.json} and the binary shards its
 * {@code weightsManifest} names. The manifest is untrusted input (a downloaded or shared model),
 * so every shard must be a regular file inside the {@code model.json}'s folder (no {@code ..}, no
 * absolute path, no symbolic link leading out, checked on the real path), and each group's
 * shards must hold exactly the bytes its weights declare (dtype size × shape, overflow-checked),
 * checked before anything is read. A shard named {@code group1-shard1of6} in the manifest may
 * be saved as {@code group1-shard1of6.bin} (as the TF.js models unpacked from npm packages such
 * as nsfwjs are). float32 weights, plain or quantised to uint8/uint16
 * ({@code value = min + scale × q}, as {@code tensorflowjs_converter --quantize_uint8} writes).
 */
final class TfjsWeights {

  /** The most bytes one weight group may hold: one Java array. */
  static final long MAX_GROUP_BYTES = Integer.MAX_VALUE - 8;

  private TfjsWeights() {}

  /** One weight of the manifest. */
  private record Weight(String name, long[] shape, int count, Quantisation quantisation) {
    long bytes() {
      return (long) count * (quantisation == null ? Float.BYTES : quantisation.bytes());
    }
  }

  /** {@code value = min + scale × q} with q an unsigned integer of {@code bytes} bytes. */
  private record Quantisation(int bytes, double min, double scale) {}

  /** A shard, checked: its real path inside the model's folder, a regular file. */
  private record Shard(String entry, Path file, long size) {}

  /**
   * @param json the {@code model.json}
   * @return weights by Keras name without the {@code :0} suffix
   * @throws UserProblemException naming the model, the manifest entry and what to do
   */
  static Map<String, WeightTensor> read(Path json) throws UserProblemException {
    JsonNode manifest = manifest(json);
    Path folder = folder(json);
    Map<String, WeightTensor> out = new LinkedHashMap<>();
    int g = 0;
    for (JsonNode group : manifest) {
      g++;
      List<Weight> weights = weights(json, g, group.path("weights"));
      long declared = 0;
      for (Weight w : weights) {
        try {
          declared = Math.addExact(declared, w.bytes());
        } catch (ArithmeticException e) {
          throw problem(json, "weight group " + g, "declares more bytes than a file can hold",
              DAMAGED);
        }
      }
      List<Shard> shards = shards(json, folder, g, group.path("paths"));
      long present = 0;
      for (Shard s : shards) {
        present += s.size();
      }
      if (present != declared) {
        throw problem(json, "paths " + String.join(", ", shards.stream()
            .map(s -> "'" + s.entry() + "'").toList()),
            "hold " + present + " bytes (" + sizes(shards) + "), but the weights of group " + g
            + " (" + weights.size() + " weights, " + (weights.isEmpty() ? "none"
            : "'" + weights.get(0).name() + "' …") + ") need exactly " + declared + " bytes",
            "a shard is truncated, damaged or belongs to another model: copy the model.json and"
            + " its shards again from where they came from, or re-export the model with"
            + " tensorflowjs_converter");
      }
      if (declared > MAX_GROUP_BYTES) {
        throw problem(json, "weight group " + g, "holds " + declared + " bytes, more than the"
            + " 2 GB Kiln reads per weight group", "re-export the model with"
            + " tensorflowjs_converter (it writes groups of a few MB)");
      }
      ByteBuffer buf = ByteBuffer.wrap(bytes(json, shards, (int) declared))
          .order(ByteOrder.LITTLE_ENDIAN);
      for (Weight w : weights) {
        out.put(KerasWeights.stripSuffix(w.name()), new WeightTensor(w.shape(), values(buf, w)));
      }
    }
    return out;
  }

  /**
   * The files a TF.js model is made of, for the build's fingerprint: a changed shard changes
   * the model as much as a changed {@code model.json}.
   *
   * @param json the {@code model.json}
   * @return the {@code model.json}, then every shard (checked as {@link #read} checks them), in
   *     manifest order
   * @throws UserProblemException naming the model, the manifest entry and what to do
   */
  public static List<Path> files(Path json) throws UserProblemException {
    JsonNode manifest = manifest(json);
    Path folder = folder(json);
    List<Path> files = new ArrayList<>();
    files.add(json);
    int g = 0;
    for (JsonNode group : manifest) {
      g++;
      for (Shard s : shards(json, folder, g, group.path("paths"))) {
        files.add(s.file());
      }
    }
    return files;
  }

  private static JsonNode manifest(Path json) throws UserProblemException {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json.toFile());
    } catch (IOException e) {
      throw new UserProblemException("cannot read the TF.js model " + json + ": "
          + e.getMessage() + "; is it a TF.js layers model.json?", e);
    }
    JsonNode manifest = root == null ? null : root.path("weightsManifest");
    if (manifest == null || !manifest.isArray()) {
      throw new UserProblemException("backbone " + json + " has no weightsManifest: it is not a"
          + " TF.js layers model.json (use the model.json tensorflowjs_converter writes, or a"
          + " Keras .h5 weights file)");
    }
    return manifest;
  }

  private static Path folder(Path json) throws UserProblemException {
    try {
      return json.toAbsolutePath().getParent().toRealPath();
    } catch (IOException e) {
      throw new UserProblemException("cannot read the folder of the TF.js model " + json + ": "
          + e.getMessage(), e);
    }
  }

  private static final String DAMAGED = "the manifest is damaged or not a TF.js layers model:"
      + " re-export the model with tensorflowjs_converter";

  private static final String INSIDE = "TF.js shards are files in the model.json's folder, named"
      + " relative to it: put the shard files there and name them so in 'paths' (or re-export the"
      + " model with tensorflowjs_converter)";

  private static UserProblemException problem(Path json, String entry, String what,
      String todo) {
    return new UserProblemException("TF.js model " + json + ": weightsManifest " + entry + " "
        + what + "; " + todo);
  }

  private static List<Weight> weights(Path json, int g, JsonNode list)
      throws UserProblemException {
    if (!list.isArray()) {
      throw problem(json, "weight group " + g, "has no 'weights' list", DAMAGED);
    }
    List<Weight> weights = new ArrayList<>();
    for (JsonNode w : list) {
      String name = w.path("name").asText("");
      if (name.isEmpty()) {
        throw problem(json, "weight " + (weights.size() + 1) + " of group " + g,
            "has no name", DAMAGED);
      }
      String entry = "weight '" + name + "'";
      String dtype = w.path("dtype").asText("float32");
      if (!"float32".equals(dtype)) {
        throw problem(json, entry, "is " + dtype + "; only float32 TF.js weights (plain or"
            + " quantised to uint8/uint16) are supported", "export the Keras model's weights as"
            + " float32");
      }
      JsonNode shapeNode = w.path("shape");
      if (!shapeNode.isArray()) {
        throw problem(json, entry, "has no shape", DAMAGED);
      }
      long[] shape = new long[shapeNode.size()];
      long count = 1;
      for (int i = 0; i < shape.length; i++) {
        JsonNode d = shapeNode.get(i);
        if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
          throw problem(json, entry, "has shape " + shapeNode + ": a dimension is not a"
              + " non-negative whole number", DAMAGED);
        }
        shape[i] = d.asLong();
        try {
          count = Math.multiplyExact(count, shape[i]);
        } catch (ArithmeticException e) {
          throw problem(json, entry, "has shape " + shapeNode + ", more values than a file can"
              + " hold", DAMAGED);
        }
      }
      if (count > MAX_GROUP_BYTES / Float.BYTES) {
        throw problem(json, entry, "has shape " + shapeNode + ": " + count + " values, more"
            + " than the " + MAX_GROUP_BYTES / Float.BYTES + " Kiln reads per weight", DAMAGED);
      }
      weights.add(new Weight(name, shape, (int) count, quantisation(json, entry,
          w.path("quantization"))));
    }
    return weights;
  }

  private static Quantisation quantisation(Path json, String entry, JsonNode q)
      throws UserProblemException {
    if (q.isMissingNode() || q.isNull()) {
      return null;
    }
    String dtype = q.path("dtype").asText("");
    int bytes = switch (dtype) {
      case "uint8" -> 1;
      case "uint16" -> 2;
      default -> throw problem(json, entry, "is quantised to '" + dtype + "'; Kiln reads"
          + " weights quantised to uint8 or uint16", "convert the model again with"
          + " tensorflowjs_converter --quantize_uint8, or without quantisation");
    };
    if (!q.path("min").isNumber() || !q.path("scale").isNumber()) {
      throw problem(json, entry, "is quantised without a numeric min and scale", DAMAGED);
    }
    return new Quantisation(bytes, q.path("min").asDouble(), q.path("scale").asDouble());
  }

  private static List<Shard> shards(Path json, Path folder, int g, JsonNode paths)
      throws UserProblemException {
    if (!paths.isArray() || paths.isEmpty()) {
      throw problem(json, "weight group " + g, "names no shard files in 'paths'", DAMAGED);
    }
    List<Shard> shards = new ArrayList<>();
    for (JsonNode p : paths) {
      shards.add(shard(json, folder, p.isTextual() ? p.asText() : p.toString()));
    }
    return shards;
  }

  /** Resolves one {@code paths} entry inside {@code folder} (a real path), or refuses it. */
  static Shard shard(Path json, Path folder, String entry) throws UserProblemException {
    String named = "path '" + entry + "'";
    Path relative;
    try {
      relative = entry.isEmpty() ? null : Path.of(entry);
    } catch (InvalidPathException e) {
      relative = null;
    }
    if (relative == null) {
      throw problem(json, named, "is not a file name", INSIDE);
    }
    if (relative.isAbsolute() || relative.getRoot() != null || entry.startsWith("/")
        || entry.startsWith("\\")) {
      throw problem(json, named, "is an absolute path: Kiln reads no shard outside " + folder,
          INSIDE);
    }
    for (Path part : relative) {
      if (part.toString().equals("..")) {
        throw problem(json, named, "leaves the model's folder (..): Kiln reads no shard outside "
            + folder, INSIDE);
      }
    }
    Path file = folder.resolve(relative).normalize();
    Path bin = file.resolveSibling(file.getFileName() + ".bin");
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS) && Files.exists(bin,
        LinkOption.NOFOLLOW_LINKS)) {
      file = bin; // the shard saved with the ".bin" its name in the manifest lacks
    }
    Path real;
    try {
      real = file.toRealPath();
    } catch (NoSuchFileException e) {
      throw problem(json, named, Files.isSymbolicLink(file) ? "is a link to a missing file"
          : "does not exist (no file " + file + ")", "copy the model's shard files next to its"
          + " model.json");
    } catch (IOException e) {
      throw problem(json, named, "cannot be read (" + e + ")", "check the file's permissions");
    }
    if (!real.startsWith(folder)) {
      throw problem(json, named, "is a symbolic link leading outside the model's folder, to "
          + real + ": Kiln reads no shard outside " + folder, INSIDE);
    }
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw problem(json, named, "cannot be read (" + e + ")", "check the file's permissions");
    }
    if (!a.isRegularFile()) {
      throw problem(json, named, "is not a regular file (" + (a.isDirectory() ? "a folder"
          : "a FIFO, socket or device") + ")", INSIDE);
    }
    return new Shard(entry, real, a.size());
  }

  private static String sizes(List<Shard> shards) {
    StringBuilder b = new StringBuilder();
    for (Shard s : shards) {
      b.append(b.length() == 0 ? "" : ", ").append(s.entry()).append(": ").append(s.size());
    }
    return b.toString();
  }

  /** Reads exactly the checked sizes; a shard that changed since then is refused. */
  private static byte[] bytes(Path json, List<Shard> shards, int total)
      throws UserProblemException {
    byte[] all = new byte[total];
    int at = 0;
    for (Shard s : shards) {
      String named = "path '" + s.entry() + "'";
      try (FileChannel c = FileChannel.open(s.file(), StandardOpenOption.READ,
          LinkOption.NOFOLLOW_LINKS)) {
        if (c.size() != s.size()) {
          throw problem(json, named, "changed while it was read (" + s.size() + " then "
              + c.size() + " bytes)", "build again once the model's files are in place");
        }
        ByteBuffer into = ByteBuffer.wrap(all, at, (int) s.size());
        while (into.hasRemaining()) {
          if (c.read(into) < 0) {
            throw problem(json, named, "ended early while it was read",
                "build again once the model's files are in place");
          }
        }
        at += (int) s.size();
      } catch (IOException e) {
        throw problem(json, named, "cannot be read (" + e + ")", "check the file");
      }
    }
    return all;
  }

  private static float[] values(ByteBuffer buf, Weight w) {
    float[] data = new float[w.count()];
    Quantisation q = w.quantisation();
    if (q == null) {
      buf.asFloatBuffer().get(data);
      buf.position(buf.position() + Float.BYTES * data.length);
    } else if (q.bytes() == 1) {
      for (int i = 0; i < data.length; i++) {
        data[i] = (float) (q.min() + q.scale() * Byte.toUnsignedInt(buf.get()));
      }
    } else {
      for (int i = 0; i < data.length; i++) {
        data[i] = (float) (q.min() + q.scale() * Short.toUnsignedInt(buf.getShort()));
      }
    }
    return data;
  }

}
