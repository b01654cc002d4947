// libFuzzer's driver runs fuzzZawgyi(_:_:) on every input; see FuzzSupport.
import FuzzSupport

runFuzzer { fuzzZawgyi($0, $1) }
