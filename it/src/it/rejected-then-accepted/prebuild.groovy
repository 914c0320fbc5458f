// the same ant photos under two labels, re-encoded as PNG (not byte-identical, so not left out as
// duplicates): no classifier can separate them, so the gate must fail
def images = evaluate(new File(itSupport, 'copy-images.groovy')).call(basedir, [ants: 15], fixtures)
def twin = new File(images, 'twins')
twin.mkdirs()
new File(images, 'ants').listFiles().each {
  javax.imageio.ImageIO.write(javax.imageio.ImageIO.read(it), 'png', new File(twin, it.name + '.png'))
}
return true
