def log = new File(basedir, 'build.log').text
assert log.contains("unknown backbone 'inception_v3'") : 'expected the unknown-backbone message'
assert log.contains('MobileNet v1 .h5') : 'the message says what is accepted'
return true
