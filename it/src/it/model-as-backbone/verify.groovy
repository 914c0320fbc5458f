def text = basedir.listFiles().findAll { it.name.startsWith('build') && it.name.endsWith('.log') }
    .collect { it.text }.join('\n')
// the producer's model is installed beside its jar
def installed = new File(localRepositoryPath,
    'com/acme/it/model-producer/1.0/model-producer-1.0-model.onnx')
assert installed.isFile() : "not installed: ${installed}"
// the consumer resolved it by its coordinates (offline) and cut it before its head
assert text.contains('backbone com.acme.it:model-producer:1.0:model:onnx: ') : 'coordinates not resolved'
assert text.contains('[features] frozen onnx:model-producer-1.0-model') : 'the model was not the backbone'
def model = new File(basedir, 'consumer/target/classes/com/acme/Bees.onnx')
assert model.isFile()
assert text.count('[estimate] accuracy to expect on new photos') == 2
return true
