def logs = basedir.listFiles().findAll { it.name.startsWith('build') && it.name.endsWith('.log') }
def text = logs.collect { it.text }.join('\n')
assert text.count('[estimate] accuracy to expect on new photos') == 4 : "four trainings, logs: ${logs*.name}"
assert text.contains('[fine-tuning] top 2 blocks after') : 'fine-tune trained the top blocks'
assert text.contains('[full fine-tuning] every layer and the head from the pixels') : 'full trained every layer'
assert text.contains('mobilenet_v2_0.5 from random weights') : 'scratch trained the random network'
assert text.contains('frozen mobilenet_v2_0.5 up to out_relu') : 'the MobileNetV2 backbone was used'
def metrics = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/kiln/metrics.json'))
assert metrics.training.mode == 'scratch' : 'the last build trained from scratch'
assert metrics.parity.maxAbsDiff < 1e-4 : "parity ${metrics.parity}"
assert new File(basedir, 'target/classes/com/acme/Insects.onnx').isFile()
return true
