// the same ant photos under two labels, re-encoded as PNG (not byte-identical, so not left out as
// duplicates): no classifier can separate them, so a quality gate must fail.
// Usage from a prebuild.groovy: evaluate(new File(itSupport, 'twin-labels.groovy')).call(basedir, fixtures, itSupport)
return { File basedir, String fixtures, String support ->
  def images = evaluate(new File(support, 'copy-images.groovy')).call(basedir, [ants: 15], fixtures)
  def twin = new File(images, 'twins')
  twin.mkdirs()
  new File(images, 'ants').listFiles().each {
    javax.imageio.ImageIO.write(javax.imageio.ImageIO.read(it), 'png', new File(twin, it.name + '.png'))
  }
  return images
}
