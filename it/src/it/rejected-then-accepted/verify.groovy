def logs = basedir.listFiles().findAll { it.name.startsWith('build') && it.name.endsWith('.log') }
def log = logs.collect { it.text }.join('\n')
assert log.contains('is below minAccuracy 0.9000') : "build 1 was refused by the gate, logs: ${logs*.name}"
assert !new File(basedir, 'target/kiln/report-rejected.html').exists() : 'the successful build 2 removed the rejected model\'s report'
assert !new File(basedir, 'target/kiln/metrics-rejected.json').exists() : 'and its metrics'
def report = new File(basedir, 'target/kiln/report.html').text
assert !report.contains('id="rejected"') : 'the accepted model\'s report is no rejection'
assert new File(basedir, 'target/classes/com/acme/Insects.onnx').isFile() : 'build 2 bundled its model'
// no val/ folder: the figures are out-of-fold predictions, so the photos no head can tell apart
// show up as mistakes (a trained-on evaluation showed 100 % and none)
assert report.contains('come from out-of-fold predictions of') : 'the report names its figures\' source'
assert report.contains('ants → twins') || report.contains('twins → ants') : 'the worst photos are real mistakes'
def metrics = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/kiln/metrics.json'))
assert !metrics.containsKey('accuracy') : 'no top-level trained-on accuracy'
assert metrics.evaluation.accuracy == metrics.estimate.accuracy && metrics.evaluation.accuracy < 0.9
return true
