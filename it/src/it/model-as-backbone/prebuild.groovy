def copy = evaluate(new File(itSupport, 'copy-images.groovy'))
copy.call(new File(basedir, 'producer'), [ants: 15, bees: 15], fixtures)
copy.call(new File(basedir, 'consumer'), [ants: 12, bees: 12], fixtures)
return true
