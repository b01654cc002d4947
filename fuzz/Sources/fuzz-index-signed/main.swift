// libFuzzer's driver runs fuzzIndexSigned(_:_:) on every input; see FuzzSupport.
import FuzzSupport

runFuzzer { fuzzIndexSigned($0, $1) }
