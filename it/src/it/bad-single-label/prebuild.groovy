evaluate(new File(itSupport, 'copy-images.groovy')).call(basedir, [ants: 3], fixtures)
return true
