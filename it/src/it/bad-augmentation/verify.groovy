def log = new File(basedir, 'build.log').text
assert log.contains("invalid augmentation (<augmentation>, -Dkiln.augmentation)") : 'the message names the setting and its property'
assert log.contains("'zoom=2'") : 'the message names the bad entry'
assert log.contains('valid keys: [crop, flip, rotate, brightness, contrast, saturation]') : 'the message lists the valid keys'
assert !new File(basedir, 'target/kiln/model.onnx').exists() : 'nothing was trained'
return true
