// libFuzzer's driver runs fuzzContent(_:_:) on every input; see FuzzSupport.
import FuzzSupport

// Globals are made before fuzzing starts, so that the leak checker does
// not take them for leaks of the first input.
_ = originals.count
runFuzzer { fuzzContent($0, $1) }
