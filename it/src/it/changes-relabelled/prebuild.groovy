import java.nio.file.Files

def images = evaluate(new File(itSupport, 'copy-images.groovy')).call(basedir, [ants: 15, bees: 15], fixtures)
// the second build's photos: the same, with the first three ants in the bees' folder
def moved = new File(basedir, 'src/main/images-moved')
['ants', 'bees'].each { label ->
  new File(moved, label).mkdirs()
  new File(images, label).listFiles().sort { it.name }.each { f ->
    Files.copy(f.toPath(), new File(moved, "${label}/${f.name}").toPath())
  }
}
new File(moved, 'ants').listFiles().sort { it.name }.take(3).each { f ->
  Files.move(f.toPath(), new File(moved, "bees/${f.name}").toPath())
}
return true
