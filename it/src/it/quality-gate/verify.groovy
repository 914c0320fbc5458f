def log = new File(basedir, 'build.log').text
assert log.contains('is below minAccuracy 0.9000') : 'expected the quality gate message'
assert log.contains('report-rejected.html') : 'the message points at the rejected model\'s report'
assert new File(basedir, 'target/kiln/report-rejected.html').isFile() : 'the rejected model has its report'
def rejected = new File(basedir, 'target/kiln/report-rejected.html').text
def verdict = rejected.indexOf('<p class="rejected" id="rejected">Rejected by the minAccuracy gate: the estimated accuracy on new photos, ')
assert verdict > 0 && verdict < rejected.indexOf('<h1>') : 'the report opens with the gate that refused the model'
assert rejected.contains('photos), is below minAccuracy 90.0%') : 'with the figure and the threshold'
// no val/ folder: the matrix and worst photos are out-of-fold predictions, so the photos the
// estimate got wrong are there (a trained-on evaluation showed 100 % and no mistakes)
assert rejected.contains('come from out-of-fold predictions of 5-fold cross-validation on 30 photos')
assert rejected.contains('ants → twins') || rejected.contains('twins → ants') : 'the mistakes are shown'
def metrics = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/kiln/metrics-rejected.json'))
assert metrics.rejected.startsWith('Rejected by the minAccuracy gate') : "metrics-rejected.json says why: ${metrics.rejected}"
assert !metrics.containsKey('accuracy') : 'no top-level trained-on accuracy'
assert metrics.evaluation.accuracy == metrics.estimate.accuracy && metrics.evaluation.accuracy < 0.9
assert metrics.evaluation.worst.every { it.fold != null } : 'each worst photo names the fold whose head predicted it'
assert metrics.training.estimate instanceof Map : 'JSON, not JSON in a string'
assert !new File(basedir, 'target/kiln/report.html').exists() : 'no report of an accepted model: there is none'
assert !new File(basedir, 'target/kiln/metrics.json').exists()
assert !new File(basedir, 'target/classes/com/acme/Insects.onnx').exists() : 'a failing model is not bundled'
return true
