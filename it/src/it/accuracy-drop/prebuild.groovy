evaluate(new File(itSupport, 'copy-images.groovy')).call(basedir, [ants: 30, bees: 30], fixtures)
return true
