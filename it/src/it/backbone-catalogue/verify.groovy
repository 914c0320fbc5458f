def log = new File(basedir, 'build.log').text

// publisher: the publisher's file from a mirror folder, verified by the SHA-256 Kiln pins
def publisher = new File(basedir, 'publisher')
def cached = new File(publisher, 'target/backbones/mobilenet_2_5_224_tf_no_top.h5')
assert log.contains('downloading file:') : 'the catalogue name was fetched from the mirror folder'
assert log.contains('SHA-256 verified') : 'the download was verified'
assert cached.isFile() : 'the verified file is in the cache'
assert cached.length() == 2108140L
assert !new File(publisher, 'target/backbones').list().any { it.endsWith('.part') } : 'no partial files'
assert new File(publisher, 'target/classes/com/acme/Insects.onnx').isFile() : 'the model was trained'
assert log.contains('mobilenet_2_5_224_tf_no_top.h5, sha256 dbdb03ee') || new File(publisher, 'target/kiln/metrics.json').text.contains('dbdb03ee')

// families: each newer family by catalogue name from the trusted mirror of random weights
def sums = new File(basedir, 'random-mirror/SHA256SUMS').readLines().collectEntries {
  def (sha, file) = it.split(/\s+/); [(file): sha]
}
def families = new File(basedir, 'families')
[
  [name: 'inception_v3_299', id: 'inception', cls: 'InceptionV3',
   file: 'inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5', md5: 'bcbd6486424b2319ff4ef7d526e38f63'],
  [name: 'inception_resnet_v2_299', id: 'inception-resnet', cls: 'InceptionResNetV2',
   file: 'inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5', md5: 'd19885ff4a710c122648d3b5c3b684e4'],
  [name: 'densenet121_224', id: 'densenet', cls: 'DenseNet121',
   file: 'densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5', md5: '30ee3e1110167f948a6b9946edeeb738'],
  [name: 'efficientnetb0_224', id: 'efficientnet', cls: 'EfficientNetB0',
   file: 'efficientnetb0_notop.h5', md5: '50bc09e76180e00e4465e1a485ddc09d'],
  [name: 'nasnet_mobile_224', id: 'nasnet', cls: 'NasNetMobile',
   file: 'NASNet-mobile-no-top.h5', md5: '1ed92395b5b598bdda52abe5c0dbfd63'],
].each { f ->
  def sha = sums[f.file]
  assert sha : "${f.file} is not in the mirror's SHA256SUMS"
  assert log.contains("backbone ${f.name}: verifying ${f.file} against the SHA-256 the trusted mirror lists, ${sha}") &&
      log.contains("instead of the publisher's MD5, ${f.md5}: <backboneMirrorTrusted> is set") : "${f.name}: the replaced hash is said"
  assert new File(families, "target/backbones/${f.file}").isFile() : "${f.name} is in the cache"
  assert new File(families, 'kiln-backbones.lock').text.contains("${f.name}\t${sha}") : "${f.name} is locked"
  assert new File(families, "target/classes/com/acme/${f.cls}.onnx").isFile() : "${f.name} was trained"
  def metrics = new groovy.json.JsonSlurper().parse(new File(families, "target/kiln-${f.id}/metrics.json"))
  assert metrics.parity.maxAbsDiff < 1e-4 : "${f.name}: parity ${metrics.parity}"
}
return true
