// libFuzzer's driver runs fuzzScrubber(_:_:) on every input; see FuzzSupport.
import FuzzSupport

runFuzzer { fuzzScrubber($0, $1) }
