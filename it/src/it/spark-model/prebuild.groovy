// the model comes from kiln-spark's tests; without it this case cannot run
def model = new File(basedir, 'pom.xml').text.find(/<model>([^<]+)<\/model>/) { all, path -> path }
assert new File(model).isFile() : "no Spark-trained model at ${model}: run the spark module's tests first (mvn install)"
return true
