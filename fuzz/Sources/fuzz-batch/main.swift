// libFuzzer's driver runs fuzzBatch(_:_:) on every input; see FuzzSupport.
import FuzzSupport

runFuzzer { fuzzBatch($0, $1) }
