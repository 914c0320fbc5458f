package dev.kiln.maven;

import java.io.File;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * The backbone settings of {@link TrainMojo}: which pretrained network, where it comes from, and
 * how photos are fed to it and where it is cut. Kept apart so that the goal itself stays a thin
 * mapping.
 *
 * @since 0.2.0
 */
public abstract class AbstractBackboneMojo extends AbstractKilnMojo {

  /** The pretrained backbone: a catalogue name ({@code mvn kiln:backbones} lists them, and
   * docs/backbones.md compares them; a name without its input size means the largest catalogued,
   * e.g. {@code resnet50}; downloaded once into {@code backboneCache}, verified), an
   * {@code https} URL (with {@code backboneSha256}), or a file relative to the project: a
   * keras-applications {@code .h5} weights file of a catalogued family (recognised by its layer
   * names) or a TF.js layers {@code model.json}. Example: {@code mobilenet_v2_0.5_224} or
   * {@code models/mobilenet.h5}.
   * Several joined by {@code +} (e.g. {@code mobilenet_v1_0.25_224+mobilenet_v2_0.5_224}) run
   * side by side in one model, their pooled features concatenated before the head (mode
   * {@code feature-extractor} or {@code auto}; docs/backbones.md).
   * @since 0.1.0 */
  @Parameter(property = "kiln.backbone")
  protected String backbone;

  /** SHA-256 of the backbone file, required for a URL and for catalogue names Kiln has no pinned
   * hash for. Example: {@code dbdb03ee…b0bf}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.backboneSha256")
  protected String backboneSha256;

  /** Where downloaded backbones are kept, shared by all projects. Default
   * {@code ${user.home}/.kiln/backbones}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.backboneCache", defaultValue = "${user.home}/.kiln/backbones")
  protected File backboneCache;

  /** A folder or base URL holding backbone files under their own names, used instead of the
   * original download URLs (company mirrors, air-gapped builds). Example: {@code /opt/models}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.backboneMirror")
  protected String backboneMirror;

  /** Verify files from {@code backboneMirror} against the SHA-256 the mirror itself lists in a
   * {@code SHA256SUMS} file beside them (as {@code sha256sum} writes it) instead of the
   * publisher's hash: for a company mirror that serves its own build of a backbone (re-exported,
   * trained in house). The build says for each file whose hash it replaced; {@code
   * backboneSha256} and {@code kiln-backbones.lock} must still agree. Off by default: then a
   * mirror's file must be the publisher's.
   * @since 0.2.0 */
  @Parameter(property = "kiln.backboneMirrorTrusted", defaultValue = "false")
  protected boolean backboneMirrorTrusted;

  /** The family of a local weights file, for files Kiln does not recognise by their layer
   * names: a family id of the catalogue ({@code mvn kiln:backbones} lists them), with its
   * variant after a colon where it has some. Default: recognised from the file.
   * Example: {@code mobilenet_v2:0.5}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.backboneFamily")
  protected String backboneFamily;

  /** How an ONNX backbone expects its input, in the model contract's spec (docs/model-format.md):
   * {@code size=WxH;channels=RGB|BGR;scale=…;mean=r,g,b;std=r,g,b}, applied to 0..255 values as
   * {@code (x·scale − mean)/std}. Required for an ONNX backbone that is not a Kiln model.
   * Example: {@code size=224x224;mean=127.5,127.5,127.5;std=127.5,127.5,127.5} (x/127.5 − 1).
   * @since 0.1.0 */
  @Parameter(property = "kiln.preprocessing")
  protected String preprocessing;

  @Parameter(defaultValue = "${settings.offline}", readonly = true)
  protected boolean offline;

  /** Input width and height in pixels (MobileNet v1: 128–224, MobileNetV2: 96–224, the others
   * 32–512). Default: the size the backbone was trained at (a catalogue entry's, e.g. 128 for
   * {@code mobilenet_v1_0.25_128}), else 224.
   * @since 0.1.0 */
  @Parameter(property = "kiln.inputSize", defaultValue = "0")
  protected int inputSize;

  /** Backbone layer to put the head after, e.g. {@code conv_pw_11_relu}; default: the last one.
   * @since 0.1.0 */
  @Parameter(property = "kiln.featureLayer")
  protected String featureLayer;

  /** Fitting photos to the input: {@code center-crop} (keeps aspect ratio; default) or {@code stretch}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.resize", defaultValue = "center-crop")
  protected String resize;
}
