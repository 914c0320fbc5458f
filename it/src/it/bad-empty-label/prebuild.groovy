evaluate(new File(itSupport, 'copy-images.groovy')).call(basedir, [ants: 3], fixtures)
new File(basedir, 'src/main/images/bees').mkdirs()
return true
