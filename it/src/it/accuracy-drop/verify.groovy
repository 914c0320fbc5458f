import java.security.MessageDigest

def log = new File(basedir, 'build.log').text
assert log.contains('Estimated accuracy on new photos dropped from 8') : 'the second build failed on the accuracy drop'
assert log.contains('the previous model is kept') : 'the message says the good model stays'
assert log.contains('maxAccuracyDrop') : 'the message names the setting'
def metrics = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/kiln/metrics.json'))
def kept = new File(basedir, 'target/kiln/model.onnx')
def bundled = new File(basedir, 'target/classes/com/acme/Insects.onnx')
assert kept.isFile() && bundled.isFile()
def sha = { f -> MessageDigest.getInstance('SHA-256').digest(f.bytes).encodeHex().toString() }
assert sha(kept) == sha(bundled) : 'the bundled model is the kept (first) model'
def fingerprint = new File(basedir, 'target/kiln/fingerprint').readLines()
def rejected = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/kiln/metrics-rejected.json'))
assert (fingerprint[1] as double) == metrics.estimate.accuracy : 'metrics.json describes the kept model'
assert fingerprint[3] == metrics.modelSha256 && fingerprint[3] == sha(kept) : 'one consistent set'
assert metrics.estimate.accuracy > rejected.estimate.accuracy + 0.02 : 'the rejected run has its own metrics'
assert log.contains('report-rejected.html') : 'the log says where the rejected model\'s report is'
assert rejected.rejected.startsWith('Rejected by the maxAccuracyDrop gate: estimated accuracy on new photos dropped from ') : "${rejected.rejected}"
def rejectedReport = new File(basedir, 'target/kiln/report-rejected.html').text
assert rejectedReport.contains('<p class="rejected" id="rejected">Rejected by the maxAccuracyDrop gate') : 'the rejected report says which gate refused it'
assert !new File(basedir, 'target/kiln/report.html').text.contains('id="rejected"') : 'the kept model\'s report is not a rejection'
assert log.contains('estimated accuracy on new photos: previous model') : 'without val/ the estimates are compared'
// what a reviewer reads: the rejected model against the kept one, photo by photo
assert rejected.changes.compared == 60 && rejected.changes.relabelled.isEmpty() : "${rejected.changes}"
assert rejected.changes.nowWrong.size() > rejected.changes.nowRight.size() : 'the worse model gets more photos wrong'
assert rejectedReport.contains('What changed since the last model')
def record = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/kiln/predictions.json'))
assert record.modelSha256 == metrics.modelSha256 : 'the kept predictions stay the kept model\'s'
return true
