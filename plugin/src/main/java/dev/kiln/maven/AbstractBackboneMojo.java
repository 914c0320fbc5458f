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

  /** The pretrained backbone: a catalogue name ({@code mobilenet_v1_<alpha>_<size>}, e.g.
   * {@code mobilenet_v1_0.25_224}; downloaded once into {@code backboneCache}, SHA-256 verified),
   * an {@code https} URL (with {@code backboneSha256}), or a file relative to the project: a
   * keras-applications MobileNet v1 {@code .h5} weights file or a TF.js layers {@code model.json}.
   * Example: {@code mobilenet_v1_0.25_224} or {@code models/mobilenet.h5}.
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

  @Parameter(defaultValue = "${settings.offline}", readonly = true)
  protected boolean offline;

  /** Input width and height in pixels (MobileNet v1: 128–224). Default {@code 224}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.inputSize", defaultValue = "224")
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
