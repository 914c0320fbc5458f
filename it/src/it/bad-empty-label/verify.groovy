def log = new File(basedir, 'build.log').text
assert log.contains('has no images matching') && log.contains('bees') : 'expected the empty-label message'
assert !log.contains('[training]') : 'must fail before training'
return true
