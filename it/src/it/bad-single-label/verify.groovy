def log = new File(basedir, 'build.log').text
assert log.contains('found 1 label folder(s) [ants]') : 'expected the single-label message'
assert log.contains('a classifier needs at least 2')
return true
