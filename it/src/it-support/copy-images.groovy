// Shared by the ITs' prebuild.groovy: builds src/main/images from the shared fixtures.
// Usage: evaluate(new File(itSupport, 'copy-images.groovy')).call(basedir, [ants: 12, bees: 12], fixtures)
import java.nio.file.Files
import java.nio.file.StandardCopyOption

return { File project, Map<String, Integer> counts, String fixtures ->
  def images = new File(project, 'src/main/images')
  counts.each { label, n ->
    def target = new File(images, label)
    target.mkdirs()
    def source = new File(fixtures, "datasets/hymenoptera/train/${label}")
    def files = source.listFiles().findAll { it.name.endsWith('.jpg') }.sort { it.name }
    files.take(n).each { f ->
      Files.copy(f.toPath(), new File(target, f.name).toPath(), StandardCopyOption.REPLACE_EXISTING)
    }
  }
  return images
}
