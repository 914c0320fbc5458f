def text = new File(basedir, 'build.log').text
assert text.contains('[backbone] several backbones: mobilenet_2_5_224_tf_no_top.h5+mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5, side by side at 128 px') : 'both backbones named'
assert text.contains('multi:mobilenet_v1_0.25+mobilenet_v2_0.5') : 'the model names both trunks'
assert text.contains('mode fine-tune with several backbones (mobilenet_2_5_224_tf_no_top.h5+mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5): their trunks stay frozen side by side; set <mode> (kiln.mode) to feature-extractor or auto') : 'fine-tune refused with what to do'
def report = new File(basedir, 'target/kiln/report.html').text
assert report.contains('The model joins the pooled features of 2 blocks') : 'activation maps drawn for both trunks, and how'
assert report.contains('<img class="cam"') : 'the report shows the maps'
assert text.contains('Tests run: 1, Failures: 0, Errors: 0') : 'the generated class classified a bee with the bundled model'
def metrics = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/kiln/metrics.json'))
assert metrics.parity.maxAbsDiff < 1e-4 : "parity ${metrics.parity}"
assert metrics.training.mode == 'feature-extractor'
def jar = new java.util.zip.ZipFile(new File(basedir, 'target/several-backbones-1.0.jar'))
assert jar.getEntry('com/acme/Insects.onnx') != null : 'the model is packaged'
assert jar.getEntry('com/acme/Insects.class') != null : 'the generated class is packaged'
return true
