#ifndef MRC_CSODIUM_SHIM_H
#define MRC_CSODIUM_SHIM_H

#include <sodium.h>

#endif
