#ifndef MRC_CSQLITE_SHIM_H
#define MRC_CSQLITE_SHIM_H

// Debian builds libsqlite3 with the session extension; its declarations are
// only visible when these are defined before the header is read.
#define SQLITE_ENABLE_SESSION 1
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift cannot
// import as a macro.
static inline sqlite3_destructor_type mrc_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

#endif
