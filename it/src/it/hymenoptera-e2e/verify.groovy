import java.util.zip.ZipFile

def jar = new File(basedir, 'target/insects-1.0.jar')
assert jar.isFile() : "the project jar was not built"
def zip = new ZipFile(jar)
try {
  assert zip.getEntry('com/acme/insects/InsectClassifier.onnx') != null : 'model missing from the jar'
  assert zip.getEntry('com/acme/insects/InsectClassifier.class') != null : 'generated class missing'
} finally {
  zip.close()
}
def report = new File(basedir, 'target/kiln/report.html')
assert report.isFile() : 'report.html missing'
assert report.text.contains('id="confusion"')
def metrics = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/kiln/metrics.json'))
assert metrics.accuracy >= 0.88 : "accuracy ${metrics.accuracy}"
def log = new File(basedir, 'build.log').text
assert log.contains('[training] epoch 1/50') : 'per-epoch progress missing'
assert log.contains('Tests run: 1, Failures: 0') : 'the sample test did not run'
return true
