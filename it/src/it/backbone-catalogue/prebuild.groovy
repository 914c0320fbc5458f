def copy = evaluate(new File(itSupport, 'copy-images.groovy'))
copy.call(new File(basedir, 'publisher'), [ants: 15, bees: 15], fixtures)
// five networks trained one after the other: a few photos each, at each family's smallest size
copy.call(new File(basedir, 'families'), [ants: 6, bees: 6], fixtures)
return true
