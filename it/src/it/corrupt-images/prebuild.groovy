evaluate(new File(itSupport, 'copy-images.groovy')).call(basedir, [ants: 15, bees: 15], fixtures)
def awkward = new File(fixtures, 'awkward')
['pillow__truncated_jpeg.jpg', 'pillow__truncated_image.png', 'pillow__pil_sample_cmyk.jpg'].each {
  java.nio.file.Files.copy(new File(awkward, it).toPath(), new File(basedir, "src/main/images/ants/${it}").toPath())
}
return true
