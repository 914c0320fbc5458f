package dev.kiln.maven;

import java.io.File;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.maven.project.MavenProject;

/**
 * Sets a Mojo's {@code @Parameter} fields the way Maven would (defaults, with the usual
 * expressions resolved under a project folder), and checks that each one reaches what the Mojo
 * builds: set to another value, the built request must change.
 */
final class MojoFields {

  private MojoFields() {}

  /**
   * The goal's parameters as the plugin descriptor lists them ({@code @Parameter} is a
   * class-retention annotation: the descriptor Maven generates is what Maven itself reads).
   */
  static List<Field> parameters(Class<?> type) {
    String goal = goal(type);
    List<Field> out = new ArrayList<>();
    for (String name : descriptor(goal).keySet()) {
      out.add(field(type, name));
    }
    return out;
  }

  /** @return parameter name → default value ("" for none) of a goal, from the descriptor */
  static Map<String, String> descriptor(String goal) {
    try (var in = MojoFields.class.getResourceAsStream("/META-INF/maven/plugin.xml")) {
      if (in == null) {
        throw new IllegalStateException("no plugin descriptor on the class path: run through"
            + " Maven (mvn test), which generates it at process-classes");
      }
      var doc = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
          .parse(in);
      var mojos = doc.getElementsByTagName("mojo");
      for (int i = 0; i < mojos.getLength(); i++) {
        var mojo = (org.w3c.dom.Element) mojos.item(i);
        if (!goal.equals(mojo.getElementsByTagName("goal").item(0).getTextContent())) {
          continue;
        }
        Map<String, String> out = new java.util.LinkedHashMap<>();
        var params = mojo.getElementsByTagName("parameter");
        for (int j = 0; j < params.getLength(); j++) {
          var p = (org.w3c.dom.Element) params.item(j);
          out.put(p.getElementsByTagName("name").item(0).getTextContent(), "");
        }
        var config = mojo.getElementsByTagName("configuration");
        if (config.getLength() > 0) {
          var children = config.item(0).getChildNodes();
          for (int j = 0; j < children.getLength(); j++) {
            if (children.item(j) instanceof org.w3c.dom.Element e
                && out.containsKey(e.getTagName())) {
              out.put(e.getTagName(), e.getAttribute("default-value"));
            }
          }
        }
        return out;
      }
      throw new IllegalStateException("goal " + goal + " not in the plugin descriptor");
    } catch (java.io.IOException | javax.xml.parsers.ParserConfigurationException
        | org.xml.sax.SAXException e) {
      throw new IllegalStateException(e);
    }
  }

  static String goal(Class<?> type) {
    return type.getAnnotation(org.apache.maven.plugins.annotations.Mojo.class) != null
        ? type.getAnnotation(org.apache.maven.plugins.annotations.Mojo.class).name()
        : type.getSimpleName().replace("Mojo", "").toLowerCase(java.util.Locale.ROOT);
  }

  static Field field(Class<?> type, String name) {
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      try {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f;
      } catch (NoSuchFieldException e) {
        // look in the superclass
      }
    }
    throw new IllegalArgumentException("no field " + name + " in " + type);
  }

  /** Maven's defaults for every parameter, expressions resolved under {@code base}. */
  static void defaults(Object mojo, Path base) throws Exception {
    MavenProject project = new MavenProject();
    project.setFile(base.resolve("pom.xml").toFile());
    Map<String, String> defaults = descriptor(goal(mojo.getClass()));
    for (Field f : parameters(mojo.getClass())) {
      String d = defaults.get(f.getName());
      if (d.equals("${project}")) {
        f.set(mojo, project);
      } else if (d.equals("${session}")) {
        f.set(mojo, null);
      } else if (!d.isEmpty()) {
        String v = d.replace("${project.basedir}", base.toString())
            .replace("${project.build.directory}", base.resolve("target").toString())
            .replace("${project.build.outputDirectory}", base.resolve("target/classes").toString())
            .replace("${user.home}", base.resolve("home").toString())
            .replace("${plugin.version}", "1.2.3")
            .replace("${settings.offline}", "false")
            .replace("${project.build.outputTimestamp}", "");
        f.set(mojo, convert(v, f.getType()));
      } else {
        f.set(mojo, f.getType().isPrimitive() ? convert("0", f.getType()) : null);
      }
    }
  }

  static Object convert(String v, Class<?> type) {
    if (type == int.class || type == Integer.class) {
      return Integer.parseInt(v);
    }
    if (type == long.class || type == Long.class) {
      return Long.parseLong(v);
    }
    if (type == double.class || type == Double.class) {
      return Double.parseDouble(v);
    }
    if (type == boolean.class || type == Boolean.class) {
      return Boolean.parseBoolean(v);
    }
    if (type == File.class) {
      return new File(v);
    }
    return v;
  }

  /**
   * For every parameter but {@code exempt}, sets {@code changed}'s value and asserts that {@code
   * build} gives something else than with the defaults.
   *
   * @param changed another valid value per parameter name; a parameter missing here fails
   * @param exempt parameters the built request does not hold, with the reason
   */
  static void eachParameterReaches(Object mojo, Map<String, Object> changed,
      Map<String, String> exempt, Supplier<Object> build) throws Exception {
    Object baseline = build.get();
    for (Field f : parameters(mojo.getClass())) {
      String name = f.getName();
      if (exempt.containsKey(name)) {
        continue;
      }
      if (!changed.containsKey(name)) {
        throw new AssertionError("@Parameter " + name + " of " + mojo.getClass().getSimpleName()
            + " has no entry in this test: map it into the configuration and add a changed value"
            + " here, or exempt it with the reason");
      }
      Object before = f.get(mojo);
      f.set(mojo, changed.get(name));
      Object built = build.get();
      f.set(mojo, before);
      if (built.equals(baseline)) {
        throw new AssertionError("@Parameter " + name + " does not reach the built request: set"
            + " to " + changed.get(name) + " it built the same as the default");
      }
    }
  }

  static void set(Object mojo, String name, Object value) throws Exception {
    field(mojo.getClass(), name).set(mojo, value);
  }
}
