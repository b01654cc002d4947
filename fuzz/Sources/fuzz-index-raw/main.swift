// libFuzzer's driver runs fuzzIndexRaw(_:_:) on every input; see FuzzSupport.
import FuzzSupport

runFuzzer { fuzzIndexRaw($0, $1) }
