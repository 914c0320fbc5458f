def logs = basedir.listFiles().findAll { it.name.startsWith('build') && it.name.endsWith('.log') }
def text = logs.collect { it.text }.join('\n')
assert text.count('[estimate] accuracy to expect on new photos') == 2 : "expected two training runs (first and third build), logs: ${logs*.name}"
assert text.contains('model is up to date') : 'second build must say up to date'
assert text.contains('retraining: settings changed: estimateFolds') : 'third build must say why it retrains'
assert new File(basedir, 'target/classes/com/acme/Insects.onnx').isFile()
return true
