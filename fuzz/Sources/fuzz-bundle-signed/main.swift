// libFuzzer's driver runs fuzzBundleSigned(_:_:) on every input; see FuzzSupport.
import FuzzSupport

// Globals are made before fuzzing starts, so that the leak checker does
// not take them for leaks of the first input.
_ = scratch.url
runFuzzer { fuzzBundleSigned($0, $1) }
