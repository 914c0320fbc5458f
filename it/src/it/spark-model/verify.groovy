def log = new File(basedir, 'build.log').text
assert log.contains('Generated com.acme.insects.InsectClassifier for the existing model') : 'generate did not use <model>'
assert log.contains('no training: bundled the existing model') : 'train did not bundle <model>'
assert log.contains('trained by spark-mllib LogisticRegression') : 'not the Spark model'
assert !log.contains('[estimate]') : 'it trained'
assert log.contains('Tests run: 1, Failures: 0') : "the project's own test"
def jar = new java.util.zip.ZipFile(new File(basedir, 'target/spark-model-1.0.jar'))
assert jar.getEntry('com/acme/insects/InsectClassifier.onnx') != null
assert jar.getEntry('com/acme/insects/InsectClassifier.class') != null
return true
