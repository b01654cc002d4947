#ifndef MRC_CZLIB_SHIM_H
#define MRC_CZLIB_SHIM_H

#include <zlib.h>

// deflateInit and inflateInit are macros that pass the library version and
// the stream size; Swift cannot call macros.
static inline int mrc_deflate_init(z_streamp stream, int level) {
    return deflateInit(stream, level);
}

static inline int mrc_inflate_init(z_streamp stream) {
    return inflateInit(stream);
}

#endif
