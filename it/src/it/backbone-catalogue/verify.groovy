def log = new File(basedir, 'build.log').text
def cached = new File(basedir, 'target/backbones/mobilenet_2_5_224_tf_no_top.h5')
assert log.contains('downloading file:') : 'the catalogue name was fetched from the mirror folder'
assert log.contains('SHA-256 verified') : 'the download was verified'
assert cached.isFile() : 'the verified file is in the cache'
assert cached.length() == 2108140L
assert !new File(basedir, 'target/backbones').list().any { it.endsWith('.part') } : 'no partial files'
assert new File(basedir, 'target/classes/com/acme/Insects.onnx').isFile() : 'the model was trained'
assert log.contains('mobilenet_2_5_224_tf_no_top.h5, sha256 dbdb03ee') || new File(basedir, 'target/kiln/metrics.json').text.contains('dbdb03ee')
return true
