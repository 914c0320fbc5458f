def log = new File(basedir, 'build.log').text
assert log.count('[estimate] accuracy to expect on new photos') == 2 : 'both builds train'
def moved = new File(basedir, 'src/main/images/ants').listFiles().sort { it.name }.take(3)*.name
def metrics = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/kiln/metrics.json'))
def changes = metrics.changes
assert changes != null : 'the second build replaced a model: metrics.json has changes'
assert changes.relabelled*.path.sort() == moved.collect { "bees/${it}".toString() } : "${changes.relabelled}"
assert changes.relabelled.every { it.from == 'ants' && it.to == 'bees' && it.previousPath == "ants/${it.path.substring(5)}" }
assert changes.added.isEmpty() && changes.removed.isEmpty() && changes.changed.isEmpty()
assert changes.compared == 30 : 'the same 30 photos, out of fold in both builds'
assert changes.perLabel*.label == ['ants', 'bees'] && changes.perLabel*.photos == [12, 18]
assert log.contains('[changes] since the previous model: on the 30 photos both models predicted without training on them')
assert log.contains("3 relabelled (ants/${moved[0]} -> bees")
def report = new File(basedir, 'target/kiln/report.html').text
assert report.contains('<h2 id="changes-title">What changed since the last model</h2>')
def figures = report.substring(report.indexOf('id="changes-relabelled"'))
figures = figures.substring(0, figures.indexOf('</div>'))
moved.each { name ->
  assert figures.contains("bees/${name}<br>ants → bees (was ants/${name})") : "${name} is shown relabelled"
}
assert figures.count('<img alt="thumbnail" src="data:image/jpeg;base64,') == 3 : 'each with its thumbnail'
def record = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/kiln/predictions.json'))
assert record.modelSha256 == metrics.modelSha256 : 'the kept predictions are the new model\'s'
assert record.photos.size() == 30
return true
