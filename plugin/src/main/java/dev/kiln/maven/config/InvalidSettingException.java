package dev.kiln.maven.config;

/**
 * A setting with an invalid value. The message names the setting, its property and what is
 * valid, e.g. {@code invalid mode (<mode>, -Dkiln.mode): unknown mode 'x'; valid: [...]}.
 */
public final class InvalidSettingException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final String setting;

  /**
   * @param setting the setting's name, e.g. {@code mode}
   * @param problem what is wrong and what is valid
   */
  public InvalidSettingException(String setting, String problem) {
    super("invalid " + setting + " (<" + setting + ">, -Dkiln." + setting + "): " + problem);
    this.setting = setting;
  }

  /** @return the setting's name */
  public String setting() {
    return setting;
  }

  /** Throws naming {@code setting} unless {@code ok}. */
  static void check(boolean ok, String setting, String problem) {
    if (!ok) {
      throw new InvalidSettingException(setting, problem);
    }
  }

  /** Runs a parser, relabelling its {@link IllegalArgumentException} with the setting. */
  static <T> T parse(String setting, java.util.function.Supplier<T> parser) {
    try {
      return parser.get();
    } catch (InvalidSettingException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException(setting, e.getMessage());
    }
  }
}
