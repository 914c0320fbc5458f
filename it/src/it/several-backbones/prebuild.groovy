evaluate(new File(itSupport, 'copy-images.groovy')).call(basedir, [ants: 15, bees: 15], fixtures)
return true
