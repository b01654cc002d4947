// The declaration in include/fuzz_driver.h is all this target provides;
// libFuzzer itself is linked by -sanitize=fuzzer.
#include "fuzz_driver.h"
