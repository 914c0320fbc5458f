// the same ant photos under two labels: no classifier can separate them, so the gate must fail
def images = evaluate(new File(itSupport, 'copy-images.groovy')).call(basedir, [ants: 15], fixtures)
def twin = new File(images, 'twins')
twin.mkdirs()
new File(images, 'ants').listFiles().each {
  java.nio.file.Files.copy(it.toPath(), new File(twin, it.name).toPath())
}
return true
