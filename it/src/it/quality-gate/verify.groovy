def log = new File(basedir, 'build.log').text
assert log.contains('is below minAccuracy 0.9000') : 'expected the quality gate message'
assert log.contains('report-rejected.html') : 'the message points at the rejected model\'s report'
assert new File(basedir, 'target/kiln/report-rejected.html').isFile() : 'the rejected model has its report'
assert !new File(basedir, 'target/kiln/report.html').exists() : 'no report of an accepted model: there is none'
assert !new File(basedir, 'target/kiln/metrics.json').exists()
assert !new File(basedir, 'target/classes/com/acme/Insects.onnx').exists() : 'a failing model is not bundled'
return true
