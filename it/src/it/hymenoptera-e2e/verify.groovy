import java.util.zip.ZipFile

def jar = new File(basedir, 'target/insects-1.0.jar')
assert jar.isFile() : "the project jar was not built"
def zip = new ZipFile(jar)
try {
  assert zip.getEntry('com/acme/insects/InsectClassifier.onnx') != null : 'model missing from the jar'
  assert zip.getEntry('com/acme/insects/InsectClassifier.class') != null : 'generated class missing'
} finally {
  zip.close()
}
// the class was generated before the first training; train refreshes its javadoc with the metrics
def source = new File(basedir, 'target/generated-sources/kiln/com/acme/insects/InsectClassifier.java').text
assert source.contains('Estimated accuracy on new photos 90.4% (95% interval 81.2-96.1%, 73 photos)') : 'the generated javadoc shows this training\'s estimate'
def report = new File(basedir, 'target/kiln/report.html')
assert report.isFile() : 'report.html missing'
assert report.text.contains('id="confusion"')
assert report.text.contains('<p class="big" id="estimate">90.4% expected accuracy on new photos</p>') : 'the headline is the estimate'
assert report.text.contains('the val/ photos') : 'the report says which photos were used for what'
def metrics = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/kiln/metrics.json'))
assert !metrics.containsKey('accuracy') : 'no top-level accuracy: the evaluation says its source'
assert metrics.evaluation.images == 73 && metrics.evaluation.source.contains('val/ folder') : "${metrics.evaluation.source}"
assert metrics.evaluation.accuracy == metrics.estimate.accuracy : 'the matrix and tables rest on the estimate\'s photos'
assert metrics.evaluation.worst.every { it.image.startsWith('val/') } : 'only val/ photos, which the head never trained on, are results'
assert report.text.contains('id="evaluation-source"')
// where the model looks: each worst photo with its class activation map under its thumbnail
def worstSection = report.text.substring(report.text.indexOf('id="worst"'))
worstSection = worstSection.substring(0, worstSection.indexOf('</div>'))
assert worstSection.count('<img class="cam" alt="where the model looks for ') == metrics.evaluation.worst.size() : 'a map per worst photo'
assert report.text.contains('Where the model looks: the class activation map (Zhou et al. 2016)')
// with a val/ folder the estimate is the exported model on those 73 photos, used for nothing else
assert metrics.estimate.photos == 73
assert Math.abs(metrics.estimate.accuracy - 66 / 73.0) < 1e-9 : "estimate ${metrics.estimate}"
assert metrics.estimate.low < metrics.estimate.accuracy && metrics.estimate.accuracy < metrics.estimate.high
assert metrics.estimate.method.contains('val/ folder, which no training decision used')
assert metrics.validationTrainedOn == false
assert metrics.head.solver == 'lbfgs' && metrics.head.folds == 5
def evaluation = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/kiln/evaluation.json'))
assert evaluation.accuracy >= 0.85 : "test accuracy ${evaluation.accuracy}"
assert evaluation.confusion.size() == 2
def log = new File(basedir, 'build.log').text
assert log.contains('[head] softmax regression (L-BFGS) on 245 examples') : 'head progress missing'
assert log.contains('[estimate] accuracy to expect on new photos: 90.4% (95% interval 81.2-96.1%, 73 photos)') : 'the estimate is logged'
assert !log.contains('Backend build information') && !log.contains('Starting ComputationGraph') : 'library banners stay at debug'
assert log.contains('Tests run: 2, Failures: 0') : 'the sample tests did not run'
assert log.contains('Test accuracy') : 'evaluate did not report'

// the report is a page people look at: render it in headless Chromium
def chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find { new File(it).canExecute() }
if (chromium == null) {
  println 'WARNING: chromium not installed; report rendering not checked (.ci/run installs it)'
} else {
  def profile = new File(basedir, 'target/chromium-profile')
  def png = new File(basedir, 'target/kiln/report.png')
  def cmd = [chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
             '--no-first-run', '--disable-background-networking', '--disable-component-update',
             '--disable-sync', "--user-data-dir=${profile}", '--enable-logging=stderr', '--v=0',
             '--window-size=1100,4000', '--virtual-time-budget=2000', '--dump-dom',
             "--screenshot=${png}", report.toURI().toString()]
  def proc = cmd.execute()
  def out = new StringBuilder(), err = new StringBuilder()
  proc.consumeProcessOutput(out, err)
  assert proc.waitFor(120, java.util.concurrent.TimeUnit.SECONDS) : 'chromium hung'
  def consoleErrors = err.readLines().findAll { it.contains('CONSOLE') || it.contains('Uncaught') }
  assert consoleErrors.isEmpty() : "console errors: ${consoleErrors}"
  assert png.length() > 10000 : 'screenshot missing or empty'
  def dom = out.toString()
  if (dom.contains('<body')) {
    assert dom.contains('id="confusion"') : 'rendered page lacks the confusion matrix'
    assert dom.contains('<polyline') : 'rendered page lacks the learning curves'
    assert dom.count('<img class="cam"') >= metrics.evaluation.worst.size() : 'rendered page lacks the activation maps'
  }
  // where the model looks: the class activation maps are visible. The jet colours over the photos
  // show as strongly blue or red pixels, which the rest of the page and the plain thumbnails of
  // ants and bees have few of: the screenshot has far more of them than one of the same page
  // without the maps
  def withoutMaps = new File(basedir, 'target/kiln/report-without-maps.html')
  withoutMaps.text = report.text.replaceAll('<img class="cam"[^>]*>', '')
  def plainPng = new File(basedir, 'target/kiln/report-without-maps.png')
  def plain = [chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
               '--no-first-run', '--disable-background-networking', '--disable-component-update',
               '--disable-sync', "--user-data-dir=${profile}", '--window-size=1100,4000',
               '--virtual-time-budget=2000', "--screenshot=${plainPng}",
               withoutMaps.toURI().toString()].execute()
  plain.consumeProcessOutput(new StringBuilder(), new StringBuilder())
  assert plain.waitFor(120, java.util.concurrent.TimeUnit.SECONDS) : 'chromium hung'
  def heat = { File f ->
    def image = javax.imageio.ImageIO.read(f)
    int n = 0
    for (int y = 0; y < image.height; y++) {
      for (int x = 0; x < image.width; x++) {
        int rgb = image.getRGB(x, y)
        int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff
        if (b - Math.max(r, g) > 60 || r - Math.max(g, b) > 60) {
          n++
        }
      }
    }
    return n
  }
  int withMapsHeat = heat(png)
  int withoutMapsHeat = heat(plainPng)
  println "activation maps: ${withMapsHeat} strongly blue or red pixels in ${png}, ${withoutMapsHeat} without the maps"
  assert withMapsHeat - withoutMapsHeat > metrics.evaluation.worst.size() * 128 * 128 * 0.15 : "the activation maps are not visible in ${png}"
}
// build 2: kiln:classify on a bee, a truncated JPEG and the val/ants folder (37 photos)
def buildLog = new File(basedir, 'build.log').text
assert buildLog =~ /1032546534_06907fe3b3\.jpg: bees 0\.\d{3}, ants 0\.\d{3}/ : 'the bee photo is classified bees first, two labels'
assert buildLog.contains('pillow__truncated_jpeg.jpg: not classified:') : 'an unreadable photo gets a line, not a crash'
assert buildLog.contains('38 photos classified, 1 not readable') : 'one photo + the 37 ants of the folder'
return true
