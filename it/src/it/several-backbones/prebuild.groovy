evaluate(new File(itSupport, 'copy-images.groovy')).call(basedir, [ants: 40, bees: 40], fixtures)
return true
