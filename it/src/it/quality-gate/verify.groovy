def log = new File(basedir, 'build.log').text
assert log.contains('is below minAccuracy 0.9000') : 'expected the quality gate message'
assert log.contains('report.html') : 'the message points at the report'
assert new File(basedir, 'target/kiln/report.html').isFile() : 'the report is written even when the gate fails'
assert !new File(basedir, 'target/classes/com/acme/Insects.onnx').exists() : 'a failing model is not bundled'
return true
