def log = new File(basedir, 'build.log').text
assert log.contains("unknown backbone 'xception'") : 'expected the unknown-backbone message'
assert log.contains('keras-applications .h5 weights file (MobileNet v1') : 'the message says what is accepted'
return true
