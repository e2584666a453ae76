// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-vfio-caps: what the kernel answers to VFIO_DEVICE_GET_REGION_INFO, as hostile as it
 * gets. The input is the raw answer (struct vfio_region_info, then the capability chain;
 * argsz is the input's length): vfio_region_info_parse() reads it from the buffer as given and
 * from a misaligned copy, and must agree with itself. The same bytes are then walked by
 * vfio_cap_chain_walk() directly, as a region-info chain (first capability at cap_offset,
 * fixed part 32 bytes) and as a VFIO_DEVICE_GET_INFO chain (cap_offset at byte 16, fixed part
 * 24 bytes), with a callback that checks every capability it is handed lies inside the buffer,
 * after the fixed part and after the previous one, and reads all of it.
 * Oracles: on success, every SPARSE_MMAP area is non-empty, inside the region and apart from
 * the others; on failure, an error is set and nothing is left to free.
 */
#include "fuzz-common.h"
#include "hw/vfio/vfio-common.h"

#include <string.h>

/* A capability whose version is this makes the callback fail, to drive the error paths. */
#define CAP_VERSION_FAIL 0xfffe

typedef struct WalkState {
    const uint8_t *buf;
    size_t len;
    size_t header_size;
    size_t next_min;   /* the next capability starts at or past this offset */
    unsigned caps;
    uint32_t sum;      /* every byte of every capability, so that all of it is read */
} WalkState;

static bool check_cap(const struct vfio_info_cap_header *cap, size_t avail, void *opaque,
                      GError **errp)
{
    WalkState *w = opaque;
    const uint8_t *p = (const uint8_t *)cap;
    struct vfio_info_cap_header hdr;
    size_t off;

    FUZZ_CHECK(p >= w->buf && p < w->buf + w->len);
    off = (size_t)(p - w->buf);
    FUZZ_CHECK(off >= w->header_size);
    FUZZ_CHECK(off >= w->next_min);
    FUZZ_CHECK(avail >= sizeof(hdr));
    FUZZ_CHECK(avail <= w->len - off);
    for (size_t i = 0; i < avail; i++) {
        w->sum += p[i];
    }
    memcpy(&hdr, p, sizeof(hdr));
    /* the chain moves on to where this one says, or ends */
    FUZZ_CHECK(hdr.next == 0 || hdr.next == off + avail);
    w->next_min = off + avail;
    w->caps++;
    if (hdr.version == CAP_VERSION_FAIL) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "refused by the fuzzer");
        return false;
    }
    return true;
}

static void walk(const uint8_t *buf, size_t len, uint32_t first, size_t header_size)
{
    WalkState w = { .buf = buf, .len = len, .header_size = header_size,
                    .next_min = header_size };
    GError *err = NULL;
    bool ok = vfio_cap_chain_walk(buf, len, first, header_size, check_cap, &w, &err);

    FUZZ_CHECK(ok == (err == NULL));
    if (first == 0) {
        FUZZ_CHECK(ok && w.caps == 0);
    }
    g_clear_error(&err);
}

static void check_info(const uint8_t *buf, size_t len, const VfioRegionInfo *info)
{
    struct vfio_region_info raw;

    memcpy(&raw, buf, sizeof(raw));
    FUZZ_CHECK(len >= sizeof(raw));
    FUZZ_CHECK(info->index == raw.index && info->flags == raw.flags);
    FUZZ_CHECK(info->size == raw.size && info->offset == raw.offset);
    FUZZ_CHECK(info->size <= INT64_MAX && info->offset <= INT64_MAX - info->size);
    FUZZ_CHECK(info->sparse != NULL);
    FUZZ_CHECK(info->has_sparse || info->sparse->len == 0);
    for (guint i = 0; i < info->sparse->len; i++) {
        const VfioMmapArea *a = &g_array_index(info->sparse, VfioMmapArea, i);

        FUZZ_CHECK(a->size > 0 && a->size <= info->size);
        FUZZ_CHECK(a->offset <= info->size - a->size);
        for (guint j = 0; j < i; j++) {
            const VfioMmapArea *b = &g_array_index(info->sparse, VfioMmapArea, j);

            FUZZ_CHECK(a->offset >= b->offset + b->size || b->offset >= a->offset + a->size);
        }
    }
}

/* Parses buf; returns whether it parsed, filling *out (the caller clears it). */
static bool parse(const uint8_t *buf, size_t len, VfioRegionInfo *out)
{
    GError *err = NULL;
    bool ok;

    memset(out, 0x5a, sizeof(*out)); /* garbage in: the parser must not read it */
    ok = vfio_region_info_parse(buf, len, out, &err);
    FUZZ_CHECK(ok == (err == NULL));
    if (ok) {
        check_info(buf, len, out);
    } else {
        FUZZ_CHECK(err->message && *err->message);
        FUZZ_CHECK(out->sparse == NULL && !out->has_sparse);
        g_error_free(err);
    }
    return ok;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_glib_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    VfioRegionInfo a, b;
    bool ok_a, ok_b;
    /* a misaligned copy that ends exactly where its allocation does */
    uint8_t *block = g_malloc(size + 1);
    uint8_t *odd = block + 1;

    memcpy(odd, data, size);
    ok_a = parse(data, size, &a);
    ok_b = parse(odd, size, &b);
    FUZZ_CHECK(ok_a == ok_b);
    if (ok_a) {
        FUZZ_CHECK(a.has_sparse == b.has_sparse && a.has_type == b.has_type);
        FUZZ_CHECK(a.type == b.type && a.subtype == b.subtype);
        FUZZ_CHECK(a.sparse->len == b.sparse->len);
        FUZZ_CHECK(a.sparse->len == 0 || memcmp(a.sparse->data, b.sparse->data,
                                                a.sparse->len * sizeof(VfioMmapArea)) == 0);
        vfio_region_info_clear(&a);
        vfio_region_info_clear(&b);
        vfio_region_info_clear(&b); /* clearing twice is harmless */
    }

    if (size >= sizeof(struct vfio_region_info)) {
        struct vfio_region_info ri;

        memcpy(&ri, data, sizeof(ri));
        walk(odd, size, ri.cap_offset, sizeof(ri));
    }
    if (size >= sizeof(struct vfio_device_info)) {
        struct vfio_device_info di;

        memcpy(&di, data, sizeof(di));
        walk(odd, size, di.cap_offset, sizeof(di));
    }
    g_free(block);
    return 0;
}
