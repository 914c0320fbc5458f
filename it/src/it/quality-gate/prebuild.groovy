// the same ant photos under two labels (it-support/twin-labels.groovy): the gate must fail
evaluate(new File(itSupport, 'twin-labels.groovy')).call(basedir, fixtures, itSupport)
return true
