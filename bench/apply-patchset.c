/*
 * The reference for applying a release: SQLite's own sqlite3changeset_apply
 * on the patchset inside a bundle, with nothing around it.
 *
 *   apply-patchset count BUNDLE
 *       prints {"inserts": I, "updates": U, "deletes": D, "changes": N,
 *               "payload_bytes": P, "patchset_bytes": S}
 *   apply-patchset extract BUNDLE OUT
 *       writes the uncompressed patchset to OUT
 *   apply-patchset apply DATABASE BUNDLE
 *       applies the bundle's patchset to DATABASE in one transaction and
 *       prints {"seconds": T, "inflate_seconds": Z, "changes": N}
 *
 * What `apply` times, on CLOCK_MONOTONIC: from the bundle's bytes in memory
 * to the committed transaction: inflating the payload, opening the
 * database, PRAGMA synchronous = FULL, BEGIN IMMEDIATE,
 * sqlite3changeset_apply (any conflict aborts), COMMIT and closing. Not
 * timed: process start-up and reading the file. It does not check the
 * signature, the content digest or maintain the search index: it is the
 * floor for what the product does.
 *
 * The container is read as docs/bundle-format.md describes it: header
 * length at offset 20 (4 bytes, big-endian), the JSON header, the payload
 * length (8 bytes), the zlib payload.
 *
 * Build: cc -O2 -o apply-patchset apply-patchset.c -lsqlite3 -lz
 */
/* Debian builds libsqlite3 with the session extension; its declarations
 * are visible only with these defined. */
#define SQLITE_ENABLE_SESSION 1
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static void fail(const char *what, const char *detail) {
    fprintf(stderr, "apply-patchset: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned char *read_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (!file) fail("cannot open", path);
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *bytes = malloc((size_t)length);
    if (!bytes || fread(bytes, 1, (size_t)length, file) != (size_t)length) fail("cannot read", path);
    fclose(file);
    *size = (size_t)length;
    return bytes;
}

static uint64_t big_endian(const unsigned char *bytes, int count) {
    uint64_t value = 0;
    for (int i = 0; i < count; i++) value = value << 8 | bytes[i];
    return value;
}

struct bundle {
    const unsigned char *payload;
    size_t payload_size;
    size_t uncompressed_size;
};

static struct bundle parse(const unsigned char *bytes, size_t size) {
    if (size < 104 || memcmp(bytes, "\x89MRCB\r\n\x1a", 8) != 0) fail("not a bundle", NULL);
    size_t header_size = (size_t)big_endian(bytes + 20, 4);
    if (24 + header_size + 8 > size) fail("bad header length", NULL);
    char *header = strndup((const char *)bytes + 24, header_size);
    const char *field = strstr(header, "\"uncompressed_size\"");
    if (!field) fail("header without uncompressed_size", NULL);
    field = strchr(field, ':');
    struct bundle bundle;
    bundle.uncompressed_size = (size_t)strtoull(field + 1, NULL, 10);
    free(header);
    bundle.payload_size = (size_t)big_endian(bytes + 24 + header_size, 8);
    bundle.payload = bytes + 32 + header_size;
    if (32 + header_size + bundle.payload_size + 72 != size) fail("bad payload length", NULL);
    return bundle;
}

static unsigned char *inflate_payload(struct bundle bundle) {
    uLongf size = (uLongf)bundle.uncompressed_size;
    unsigned char *out = malloc(size ? size : 1);
    int rc = uncompress(out, &size, bundle.payload, (uLong)bundle.payload_size);
    if (rc != Z_OK || size != bundle.uncompressed_size) fail("payload does not inflate", NULL);
    return out;
}

static int abort_on_conflict(void *context, int kind, sqlite3_changeset_iter *iterator) {
    (void)context; (void)iterator;
    fprintf(stderr, "apply-patchset: conflict %d\n", kind);
    return SQLITE_CHANGESET_ABORT;
}

static void exec(sqlite3 *db, const char *sql) {
    char *message = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) fail(sql, message);
}

static void count(struct bundle bundle, unsigned char *patchset) {
    sqlite3_changeset_iter *iterator;
    if (sqlite3changeset_start(&iterator, (int)bundle.uncompressed_size, patchset) != SQLITE_OK)
        fail("unreadable patchset", NULL);
    long inserts = 0, updates = 0, deletes = 0;
    while (sqlite3changeset_next(iterator) == SQLITE_ROW) {
        const char *table; int columns, op, indirect;
        sqlite3changeset_op(iterator, &table, &columns, &op, &indirect);
        if (op == SQLITE_INSERT) inserts++;
        else if (op == SQLITE_DELETE) deletes++;
        else updates++;
    }
    if (sqlite3changeset_finalize(iterator) != SQLITE_OK) fail("unreadable patchset", NULL);
    printf("{\"inserts\": %ld, \"updates\": %ld, \"deletes\": %ld, \"changes\": %ld, "
           "\"payload_bytes\": %zu, \"patchset_bytes\": %zu}\n",
           inserts, updates, deletes, inserts + updates + deletes, bundle.payload_size,
           bundle.uncompressed_size);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "count") == 0) {
        size_t size;
        unsigned char *bytes = read_file(argv[2], &size);
        struct bundle bundle = parse(bytes, size);
        count(bundle, inflate_payload(bundle));
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "extract") == 0) {
        size_t size;
        unsigned char *bytes = read_file(argv[2], &size);
        struct bundle bundle = parse(bytes, size);
        FILE *out = fopen(argv[3], "wb");
        if (!out || fwrite(inflate_payload(bundle), 1, bundle.uncompressed_size, out)
                        != bundle.uncompressed_size || fclose(out) != 0)
            fail("cannot write", argv[3]);
        return 0;
    }
    if (argc != 4 || strcmp(argv[1], "apply") != 0) {
        fprintf(stderr, "usage: apply-patchset count BUNDLE | extract BUNDLE OUT | "
                        "apply DATABASE BUNDLE\n");
        return 64;
    }
    size_t size;
    unsigned char *bytes = read_file(argv[3], &size);

    double start = now();
    struct bundle bundle = parse(bytes, size);
    unsigned char *patchset = inflate_payload(bundle);
    double inflated = now();
    sqlite3 *db;
    if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        fail("cannot open", argv[2]);
    exec(db, "PRAGMA synchronous = FULL; BEGIN IMMEDIATE");
    int rc = sqlite3changeset_apply(db, (int)bundle.uncompressed_size, patchset, NULL,
                                    abort_on_conflict, NULL);
    if (rc != SQLITE_OK) fail("apply failed", sqlite3_errmsg(db));
    int changes = sqlite3_total_changes(db);
    exec(db, "COMMIT");
    if (sqlite3_close(db) != SQLITE_OK) fail("cannot close", argv[2]);
    double end = now();

    printf("{\"seconds\": %.6f, \"inflate_seconds\": %.6f, \"changes\": %d}\n",
           end - start, inflated - start, changes);
    return 0;
}
