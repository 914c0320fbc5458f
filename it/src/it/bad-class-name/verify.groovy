def log = new File(basedir, 'build.log').text
assert log.contains("className 'com.acme.2bad.Insects' is not a valid Java class name") : 'expected the class-name message'
assert !log.contains('[training]') : 'must fail before training'
return true
