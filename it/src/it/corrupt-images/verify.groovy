def log = new File(basedir, 'build.log').text
assert log.contains('[WARNING] skipped ants/pillow__truncated_jpeg.jpg') : 'truncated JPEG reported'
assert log.contains('[WARNING] skipped ants/pillow__truncated_image.png') : 'truncated PNG reported'
assert !log.contains('skipped ants/pillow__pil_sample_cmyk.jpg') : 'CMYK JPEG decodes'
// the summary of what was used counts readable photos only (16 ants + 15 bees minus the split)
assert log.contains('[dataset] used after leaving out 2 unreadable photos') : 'counts without skipped files'
def report = new File(basedir, 'target/kiln/report.html').text
assert report.contains('pillow__truncated_jpeg.jpg') : 'report lists the skipped file'
assert new File(basedir, 'target/classes/com/acme/Insects.onnx').isFile()
return true
