package dev.kiln.maven;

import dev.kiln.maven.backbone.BackboneCatalog;
import java.util.Locale;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Lists the backbone catalogue: {@code mvn kiln:backbones} (no project needed) prints every name
 * {@code <backbone>} takes, with family, input size, parameters, published ImageNet top-1, how
 * the download is verified, and the default cut. Not bound to a phase.
 *
 * @since 0.1.0
 */
@Mojo(name = "backbones", requiresProject = false, threadSafe = true)
public class BackbonesMojo extends AbstractMojo {

  /** Only names containing this text (case-insensitive). Example: {@code -Dkiln.filter=v2}.
   * @since 0.1.0 */
  @Parameter(property = "kiln.filter")
  private String filter;

  @Override
  public void execute() {
    String f = filter == null ? "" : filter.trim().toLowerCase(Locale.ROOT);
    getLog().info(String.format(Locale.ROOT, "%-24s %-20s %5s %12s %6s  %-22s %s", "name",
        "family", "input", "parameters", "top-1", "verified by", "default cut"));
    for (BackboneCatalog.Entry e : BackboneCatalog.entries()) {
      if (!e.name().contains(f)) {
        continue;
      }
      String verified = e.sha256() != null ? "SHA-256 (pinned)"
          : e.md5() != null ? "publisher's MD5 + lock" : "kiln-backbones.lock";
      getLog().info(String.format(Locale.ROOT, "%-24s %-20s %5d %,12d %5.1f%%  %-22s %s",
          e.name(), e.familyName(), e.inputSize(), e.parameters(), e.top1(), verified,
          e.defaultCut()));
    }
    getLog().info("Use one as <backbone> (kiln.backbone); docs/backbones.md compares them.");
    getLog().info("<backboneFamily> (kiln.backboneFamily) takes: " + BackboneCatalog.families());
  }
}
