// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the VFIO capability-chain walker and the region-info parser, hostile input too. */
#include "hw/vfio/vfio-common.h"

#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#define RI_SIZE sizeof(struct vfio_region_info) /* 32: where the kernel puts the first cap */
#define SPARSE_HDR sizeof(struct vfio_region_info_cap_sparse_mmap) /* 16 */
#define AREA sizeof(struct vfio_region_sparse_mmap_area)             /* 16 */

/* ---- Building answers by hand -------------------------------------------------------- */

typedef struct Buf {
    uint8_t b[1024];
    size_t len;
} Buf;

static void put(Buf *x, size_t off, const void *v, size_t n)
{
    g_assert_cmpuint(off + n, <=, sizeof(x->b));
    memcpy(x->b + off, v, n);
    if (off + n > x->len) {
        x->len = off + n;
    }
}

static void put_region(Buf *x, uint32_t flags, uint32_t index, uint32_t cap_offset,
                       uint64_t size, uint64_t offset)
{
    struct vfio_region_info ri = {
        .argsz = 0, .flags = flags, .index = index, .cap_offset = cap_offset,
        .size = size, .offset = offset,
    };

    memset(x, 0, sizeof(*x));
    put(x, 0, &ri, sizeof(ri));
}

static void put_hdr(Buf *x, size_t off, uint16_t id, uint16_t version, uint32_t next)
{
    struct vfio_info_cap_header h = { .id = id, .version = version, .next = next };

    put(x, off, &h, sizeof(h));
}

/* A SPARSE_MMAP cap at off with n areas given as offset/size pairs; returns its end. */
static size_t put_sparse(Buf *x, size_t off, uint16_t version, uint32_t next, uint32_t nr,
                         unsigned n, const uint64_t *pairs)
{
    put_hdr(x, off, VFIO_REGION_INFO_CAP_SPARSE_MMAP, version, next);
    put(x, off + 8, &nr, sizeof(nr));
    put(x, off + 12, "\0\0\0\0", 4); /* reserved */
    for (unsigned i = 0; i < n; i++) {
        struct vfio_region_sparse_mmap_area a = { .offset = pairs[2 * i],
                                                  .size = pairs[2 * i + 1] };

        put(x, off + SPARSE_HDR + i * AREA, &a, sizeof(a));
    }
    return off + SPARSE_HDR + n * AREA;
}

static size_t put_type(Buf *x, size_t off, uint16_t version, uint32_t next, uint32_t type,
                       uint32_t subtype)
{
    put_hdr(x, off, VFIO_REGION_INFO_CAP_TYPE, version, next);
    put(x, off + 8, &type, 4);
    put(x, off + 12, &subtype, 4);
    return off + 16;
}

#define RWM_CAPS (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE | \
                  VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS)

/* Parses x; expects failure with every one of the NULL-terminated needles in the message. */
static void expect_parse_error(const Buf *x, ...)
{
    g_autoptr(GError) err = NULL;
    VfioRegionInfo info;
    va_list ap;
    const char *needle;

    memset(&info, 0xa5, sizeof(info)); /* garbage in: parse must not read it */
    g_assert_false(vfio_region_info_parse(x->b, x->len, &info, &err));
    g_assert_error(err, VFIO_ERROR, EINVAL);
    g_assert_null(info.sparse); /* cleared: nothing to free */
    g_assert_false(info.has_sparse);
    va_start(ap, x);
    while ((needle = va_arg(ap, const char *))) {
        if (!strstr(err->message, needle)) {
            g_error("\"%s\" does not say \"%s\"", err->message, needle);
        }
    }
    va_end(ap);
}

/* The good chain: SPARSE_MMAP (2 areas) at 0x20, then TYPE at 0x50. */
static void build_good(Buf *x)
{
    static const uint64_t areas[] = { 0x1000, 0x1000, 0x3000, 0x1000 };
    size_t end;

    put_region(x, RWM_CAPS, 2, RI_SIZE, 0x4000, UINT64_C(2) << 40);
    end = put_sparse(x, RI_SIZE, 1, 0x50, 2, 2, areas);
    g_assert_cmpuint(end, ==, 0x50);
    put_type(x, 0x50, 1, 0, 7, 9);
}

/* ---- The parser ---------------------------------------------------------------------- */

static void test_good_chain(void)
{
    g_autoptr(GError) err = NULL;
    VfioRegionInfo info;
    Buf x;

    build_good(&x);
    g_assert_true(vfio_region_info_parse(x.b, x.len, &info, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(info.index, ==, 2);
    g_assert_cmphex(info.flags, ==, RWM_CAPS);
    g_assert_cmphex(info.size, ==, 0x4000);
    g_assert_cmphex(info.offset, ==, UINT64_C(2) << 40);
    g_assert_true(info.has_sparse);
    g_assert_cmpuint(info.sparse->len, ==, 2);
    g_assert_cmphex(g_array_index(info.sparse, VfioMmapArea, 0).offset, ==, 0x1000);
    g_assert_cmphex(g_array_index(info.sparse, VfioMmapArea, 0).size, ==, 0x1000);
    g_assert_cmphex(g_array_index(info.sparse, VfioMmapArea, 1).offset, ==, 0x3000);
    g_assert_true(info.has_type);
    g_assert_cmpuint(info.type, ==, 7);
    g_assert_cmpuint(info.subtype, ==, 9);
    vfio_region_info_clear(&info);
    g_assert_null(info.sparse);
}

static void test_no_caps(void)
{
    g_autoptr(GError) err = NULL;
    VfioRegionInfo info;
    Buf x;

    /* No FLAG_CAPS: the kernel has no capabilities, whatever cap_offset says. */
    build_good(&x);
    ((struct vfio_region_info *)(void *)x.b)->flags &= ~VFIO_REGION_INFO_FLAG_CAPS;
    g_assert_true(vfio_region_info_parse(x.b, x.len, &info, &err));
    g_assert_false(info.has_sparse);
    g_assert_nonnull(info.sparse);
    g_assert_cmpuint(info.sparse->len, ==, 0);
    g_assert_false(info.has_type);
    vfio_region_info_clear(&info);

    /* FLAG_CAPS with cap_offset 0: they did not fit in argsz. */
    put_region(&x, RWM_CAPS, 0, 0, 0x1000, 0);
    g_assert_true(vfio_region_info_parse(x.b, x.len, &info, &err));
    g_assert_false(info.has_sparse);
    vfio_region_info_clear(&info);
}

static void test_short_struct(void)
{
    Buf x;

    build_good(&x);
    x.len = RI_SIZE - 1;
    expect_parse_error(&x, "0x1f bytes", NULL);
    x.len = 0;
    expect_parse_error(&x, "0x0 bytes", NULL);
}

static void test_region_overflow(void)
{
    Buf x;

    put_region(&x, RWM_CAPS, 0, 0, 0x2000, (uint64_t)INT64_MAX - 0x1000);
    expect_parse_error(&x, "runs past", NULL);
    put_region(&x, RWM_CAPS, 0, 0, UINT64_MAX, 0);
    expect_parse_error(&x, "runs past", NULL);
}

static void test_loop(void)
{
    Buf x;

    /* A capability naming itself as next. */
    put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
    put_hdr(&x, RI_SIZE, 0x77, 1, RI_SIZE);
    put(&x, RI_SIZE + 8, "\0\0\0\0\0\0\0\0", 8);
    expect_parse_error(&x, "0x20", "loop", NULL);

    /* Two capabilities naming each other. */
    put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
    put_hdr(&x, 0x20, 0x77, 1, 0x30);
    put_hdr(&x, 0x30, 0x78, 1, 0x20);
    put(&x, 0x38, "\0\0\0\0\0\0\0\0", 8);
    expect_parse_error(&x, "0x30", "0x20", NULL);
}

static void test_backwards(void)
{
    Buf x;

    /* The first at 0x40 points back to 0x20: past the fixed part, but behind. */
    put_region(&x, RWM_CAPS, 0, 0x40, 0x4000, 0);
    put_hdr(&x, 0x20, 0x77, 1, 0);
    put_hdr(&x, 0x40, 0x77, 1, 0x20);
    put(&x, 0x48, "\0\0\0\0\0\0\0\0", 8);
    expect_parse_error(&x, "0x40", "0x20", NULL);

    /* A chain starting inside the fixed struct. */
    put_region(&x, RWM_CAPS, 0, 8, 0x4000, 0);
    put(&x, 0x20, "\0\0\0\0\0\0\0\0", 8);
    expect_parse_error(&x, "0x8", "inside", NULL);
    put_region(&x, RWM_CAPS, 0, RI_SIZE - 1, 0x4000, 0);
    put(&x, 0x20, "\0\0\0\0\0\0\0\0", 8);
    expect_parse_error(&x, "0x1f", "inside", NULL);
}

static void test_past_end(void)
{
    Buf x;

    /* First capability at the very end, and far beyond. */
    build_good(&x);
    ((struct vfio_region_info *)(void *)x.b)->cap_offset = (uint32_t)x.len;
    expect_parse_error(&x, "0x60", "does not fit", NULL);
    ((struct vfio_region_info *)(void *)x.b)->cap_offset = UINT32_MAX;
    expect_parse_error(&x, "0xffffffff", "does not fit", NULL);

    /* A next past the end. */
    build_good(&x);
    put_hdr(&x, 0x50, VFIO_REGION_INFO_CAP_TYPE, 1, 0x1000);
    expect_parse_error(&x, "0x50", "0x1000", "past", NULL);
    put_hdr(&x, 0x50, VFIO_REGION_INFO_CAP_TYPE, 1, UINT32_MAX);
    expect_parse_error(&x, "0x50", "past", NULL);

    /* The whole answer cut short inside the second capability. */
    build_good(&x);
    x.len = 0x58;
    expect_parse_error(&x, "0x50", "TYPE needs 0x10 bytes, 0x8", NULL);
}

static void test_truncated_header(void)
{
    Buf x;

    put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
    put(&x, RI_SIZE, "\1\0\1\0", 4); /* half a header */
    g_assert_cmpuint(x.len, ==, RI_SIZE + 4);
    expect_parse_error(&x, "0x20", "does not fit", NULL);

    /* The next header cut short at the end of the buffer. */
    put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
    put_hdr(&x, 0x20, 0x77, 1, 0x28);
    put(&x, 0x28, "\2\0\1\0", 4);
    expect_parse_error(&x, "0x28", "does not fit", NULL);
}

static void test_overlapping(void)
{
    static const uint64_t areas[] = { 0x0, 0x1000, 0x2000, 0x1000 };
    Buf x;

    /* A SPARSE_MMAP of 2 areas (0x30 bytes) whose next capability starts inside them. */
    put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
    put_sparse(&x, 0x20, 1, 0x38, 2, 2, areas);
    put_type(&x, 0x38, 1, 0, 1, 1);
    expect_parse_error(&x, "0x20", "2 areas", "0x30 bytes", "0x18 are there", NULL);

    /* A next inside the capability's own header. */
    put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
    put_sparse(&x, 0x20, 1, 0x24, 0, 0, NULL);
    put(&x, 0x30, "\0\0\0\0\0\0\0\0", 8);
    expect_parse_error(&x, "0x20", "0x24", NULL);

    /* Two sparse areas overlapping each other. */
    {
        static const uint64_t ov[] = { 0x1000, 0x2000, 0x2000, 0x1000 };

        put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
        put_sparse(&x, 0x20, 1, 0, 2, 2, ov);
        expect_parse_error(&x, "overlap", NULL);
    }
}

static void test_huge_nr_areas(void)
{
    static const uint64_t areas[] = { 0x0, 0x1000 };
    static const uint32_t nrs[] = { 2, 1000, 0x10000000, UINT32_MAX };
    Buf x;

    for (unsigned i = 0; i < G_N_ELEMENTS(nrs); i++) {
        put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
        put_sparse(&x, 0x20, 1, 0, nrs[i], 1, areas);
        expect_parse_error(&x, "SPARSE_MMAP with", "areas needs", NULL);
    }
    /* A SPARSE_MMAP too short for its own nr_areas field. */
    put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
    put_hdr(&x, 0x20, VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1, 0);
    expect_parse_error(&x, "SPARSE_MMAP needs 0x10 bytes, 0x8", NULL);
}

static void test_unknown_skipped(void)
{
    static const uint64_t areas[] = { 0x0, 0x1000 };
    g_autoptr(GError) err = NULL;
    VfioRegionInfo info;
    Buf x;

    /* Unknown id 0x77 (24 bytes, version 0 even) before a SPARSE_MMAP, then unknown id 3. */
    put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
    put_hdr(&x, 0x20, 0x77, 0, 0x38);
    put(&x, 0x28, "garbage!garbage!", 16);
    put_sparse(&x, 0x38, 1, 0x58, 1, 1, areas);
    put_hdr(&x, 0x58, 3, 1, 0);
    g_assert_true(vfio_region_info_parse(x.b, x.len, &info, &err));
    g_assert_no_error(err);
    g_assert_true(info.has_sparse);
    g_assert_cmpuint(info.sparse->len, ==, 1);
    g_assert_false(info.has_type);
    vfio_region_info_clear(&info);
}

static void test_sparse_out_of_region(void)
{
    static const uint64_t past[] = { 0x3000, 0x2000 };
    static const uint64_t start_past[] = { 0x5000, 0x1000 };
    static const uint64_t wrap[] = { UINT64_MAX - 0xfff, 0x2000 };
    static const uint64_t big[] = { 0x0, 0x8000 };
    Buf x;

    put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
    put_sparse(&x, 0x20, 1, 0, 1, 1, past);
    expect_parse_error(&x, "area 0", "0x3000", "outside", "0x4000", NULL);
    put_sparse(&x, 0x20, 1, 0, 1, 1, start_past);
    expect_parse_error(&x, "outside", NULL);
    put_sparse(&x, 0x20, 1, 0, 1, 1, wrap);
    expect_parse_error(&x, "outside", NULL);
    put_sparse(&x, 0x20, 1, 0, 1, 1, big);
    expect_parse_error(&x, "outside", NULL);
}

static void test_sparse_empty_area(void)
{
    static const uint64_t areas[] = { 0x0, 0x0, 0x2000, 0x1000, UINT64_MAX, 0 };
    g_autoptr(GError) err = NULL;
    VfioRegionInfo info;
    Buf x;

    /* Empty areas are skipped, wherever they claim to be; no area at all is still sparse. */
    put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
    put_sparse(&x, 0x20, 1, 0, 3, 3, areas);
    g_assert_true(vfio_region_info_parse(x.b, x.len, &info, &err));
    g_assert_true(info.has_sparse);
    g_assert_cmpuint(info.sparse->len, ==, 1);
    g_assert_cmphex(g_array_index(info.sparse, VfioMmapArea, 0).offset, ==, 0x2000);
    vfio_region_info_clear(&info);

    put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
    put_sparse(&x, 0x20, 1, 0, 0, 0, NULL);
    g_assert_true(vfio_region_info_parse(x.b, x.len, &info, &err));
    g_assert_true(info.has_sparse);
    g_assert_cmpuint(info.sparse->len, ==, 0);
    vfio_region_info_clear(&info);
}

static void test_versions(void)
{
    static const uint64_t areas[] = { 0x0, 0x1000 };
    g_autoptr(GError) err = NULL;
    VfioRegionInfo info;
    Buf x;

    put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
    put_sparse(&x, 0x20, 0, 0, 1, 1, areas);
    expect_parse_error(&x, "SPARSE_MMAP version 0", NULL);

    put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
    put_type(&x, 0x20, 0, 0, 1, 2);
    expect_parse_error(&x, "TYPE version 0", NULL);

    /* Later versions only add fields at the end. */
    put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
    put_sparse(&x, 0x20, 2, 0x40, 1, 1, areas);
    put_type(&x, 0x40, 3, 0, 1, 2);
    g_assert_true(vfio_region_info_parse(x.b, x.len, &info, &err));
    g_assert_no_error(err);
    g_assert_true(info.has_sparse && info.has_type);
    vfio_region_info_clear(&info);
}

static void test_duplicates(void)
{
    static const uint64_t areas[] = { 0x0, 0x1000 };
    Buf x;

    put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
    put_sparse(&x, 0x20, 1, 0x40, 1, 1, areas);
    put_sparse(&x, 0x40, 1, 0, 1, 1, areas);
    expect_parse_error(&x, "second SPARSE_MMAP", "0x40", NULL);

    put_region(&x, RWM_CAPS, 0, RI_SIZE, 0x4000, 0);
    put_type(&x, 0x20, 1, 0x30, 1, 2);
    put_type(&x, 0x30, 1, 0, 1, 2);
    expect_parse_error(&x, "second TYPE", NULL);
}

/* ---- The walker ---------------------------------------------------------------------- */

typedef struct Seen {
    GString *s;
    int fail_at; /* the nth call fails (0: none) */
    int calls;
} Seen;

static bool record_cap(const struct vfio_info_cap_header *cap, size_t avail, void *opaque,
                       GError **errp)
{
    Seen *seen = opaque;
    struct vfio_info_cap_header h;

    memcpy(&h, cap, sizeof(h));
    g_string_append_printf(seen->s, "[id %u v%u avail 0x%zx]", h.id, h.version, avail);
    if (++seen->calls == seen->fail_at) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "refused");
        return false;
    }
    return true;
}

static void test_walker(void)
{
    g_autoptr(GError) err = NULL;
    Seen seen = { .s = g_string_new(NULL) };
    uint8_t buf[0x60] = { 0 };
    struct vfio_info_cap_header h;

    /* A chain with a 0x10-byte fixed part: 0x10 (id 5) -> 0x28 (id 6) -> 0x40 (id 99). */
    h = (struct vfio_info_cap_header){ 5, 1, 0x28 };
    memcpy(buf + 0x10, &h, sizeof(h));
    h = (struct vfio_info_cap_header){ 6, 2, 0x40 };
    memcpy(buf + 0x28, &h, sizeof(h));
    h = (struct vfio_info_cap_header){ 99, 0, 0 };
    memcpy(buf + 0x40, &h, sizeof(h));
    g_assert_true(vfio_cap_chain_walk(buf, sizeof(buf), 0x10, 0x10, record_cap, &seen, &err));
    g_assert_no_error(err);
    /* Each sees the bytes up to the next one, the last up to argsz. */
    g_assert_cmpstr(seen.s->str, ==,
                    "[id 5 v1 avail 0x18][id 6 v2 avail 0x18][id 99 v0 avail 0x20]");

    /* No chain at all. */
    g_string_truncate(seen.s, 0);
    g_assert_true(vfio_cap_chain_walk(buf, sizeof(buf), 0, 0x10, record_cap, &seen, &err));
    g_assert_cmpstr(seen.s->str, ==, "");

    /* fn's error stops the walk and says where. */
    g_string_truncate(seen.s, 0);
    seen.calls = 0;
    seen.fail_at = 2;
    g_assert_false(vfio_cap_chain_walk(buf, sizeof(buf), 0x10, 0x10, record_cap, &seen, &err));
    g_assert_error(err, VFIO_ERROR, EINVAL);
    g_assert_nonnull(strstr(err->message, "offset 0x28"));
    g_assert_nonnull(strstr(err->message, "refused"));
    g_assert_cmpint(seen.calls, ==, 2);
    g_clear_error(&err);

    /* An argsz smaller than the fixed part. */
    g_assert_false(vfio_cap_chain_walk(buf, 8, 0x10, 0x10, record_cap, &seen, &err));
    g_assert_nonnull(strstr(err->message, "0x10"));
    g_string_free(seen.s, TRUE);
}

/* ---- Random input -------------------------------------------------------------------- */

static void drop_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
    (void)domain;
    (void)level;
    (void)msg;
    (void)data;
}

/* Mutated good answers and random bytes: never a crash, and every success is consistent. */
static void test_random(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(20261101);
    Buf good;
    unsigned ok = 0;

    /* Thousands of "capability skipped" lines would drown the log. */
    guint quiet = g_log_set_handler("armpass-vfio", G_LOG_LEVEL_DEBUG, drop_log, NULL);

    build_good(&good);
    for (unsigned iter = 0; iter < 200000; iter++) {
        Buf x = good;
        unsigned flips = g_rand_int_range(rand, 1, 6);
        g_autoptr(GError) err = NULL;
        VfioRegionInfo info;

        if (iter % 4 == 0) {
            x.len = g_rand_int_range(rand, 0, 200);
            for (size_t i = 0; i < x.len; i++) {
                x.b[i] = (uint8_t)g_rand_int(rand);
            }
            ((struct vfio_region_info *)(void *)x.b)->flags |= VFIO_REGION_INFO_FLAG_CAPS;
        } else {
            for (unsigned i = 0; i < flips; i++) {
                size_t at = g_rand_int_range(rand, 0, (gint32)x.len);

                x.b[at] = (uint8_t)g_rand_int(rand);
            }
            if (iter % 3 == 0) {
                x.len = g_rand_int_range(rand, 0, (gint32)x.len + 1);
            }
        }
        /* Parse from an exact-size heap copy so that an over-read is caught by sanitizers. */
        {
            g_autofree uint8_t *copy = g_malloc(x.len ? x.len : 1);

            memcpy(copy, x.b, x.len);

            if (vfio_region_info_parse(copy, x.len, &info, &err)) {
                ok++;
                g_assert_no_error(err);
                for (guint i = 0; i < info.sparse->len; i++) {
                    const VfioMmapArea *a = &g_array_index(info.sparse, VfioMmapArea, i);

                    g_assert_cmpuint(a->size, >, 0);
                    g_assert_cmpuint(a->size, <=, info.size);
                    g_assert_cmpuint(a->offset, <=, info.size - a->size);
                }
                vfio_region_info_clear(&info);
            } else {
                g_assert_nonnull(err);
                g_assert_null(info.sparse);
            }
        }
    }
    g_log_remove_handler("armpass-vfio", quiet);
    g_test_message("%u of 200000 random answers parsed", ok);
    g_assert_cmpuint(ok, >, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vfio-caps/parse/good-chain", test_good_chain);
    g_test_add_func("/vfio-caps/parse/no-caps", test_no_caps);
    g_test_add_func("/vfio-caps/parse/short-struct", test_short_struct);
    g_test_add_func("/vfio-caps/parse/region-overflow", test_region_overflow);
    g_test_add_func("/vfio-caps/parse/loop", test_loop);
    g_test_add_func("/vfio-caps/parse/backwards", test_backwards);
    g_test_add_func("/vfio-caps/parse/past-end", test_past_end);
    g_test_add_func("/vfio-caps/parse/truncated-header", test_truncated_header);
    g_test_add_func("/vfio-caps/parse/overlapping", test_overlapping);
    g_test_add_func("/vfio-caps/parse/huge-nr-areas", test_huge_nr_areas);
    g_test_add_func("/vfio-caps/parse/unknown-skipped", test_unknown_skipped);
    g_test_add_func("/vfio-caps/parse/sparse-out-of-region", test_sparse_out_of_region);
    g_test_add_func("/vfio-caps/parse/sparse-empty-area", test_sparse_empty_area);
    g_test_add_func("/vfio-caps/parse/versions", test_versions);
    g_test_add_func("/vfio-caps/parse/duplicates", test_duplicates);
    g_test_add_func("/vfio-caps/walker", test_walker);
    g_test_add_func("/vfio-caps/random", test_random);
    return g_test_run();
}
