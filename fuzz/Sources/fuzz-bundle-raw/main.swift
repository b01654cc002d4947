// libFuzzer's driver runs fuzzBundleRaw(_:_:) on every input; see FuzzSupport.
import FuzzSupport

runFuzzer { fuzzBundleRaw($0, $1) }
