// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for hw/arm/boot.c: Image header parsing, gzip, ELF executables, raw binaries,
 * kernel loading, RAM placement. */
#include "hw/arm/boot.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define MiB (UINT64_C(1024) * 1024)
#define GiB (1024 * MiB)

static void st_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void st_le64(uint8_t *p, uint64_t v)
{
    st_le32(p, (uint32_t)v);
    st_le32(p + 4, (uint32_t)(v >> 32));
}

/* A len-byte Image with a valid header (len >= 64) and a recognisable body. */
static uint8_t *make_image(size_t len, uint64_t text_offset, uint64_t image_size,
                           uint64_t flags)
{
    uint8_t *buf = g_malloc0(len);
    st_le32(buf, 0xfa405a4d);     /* code0: "MZ" + b, as an EFI-stub kernel has */
    st_le32(buf + 4, 0x14000000); /* code1: b */
    st_le64(buf + 8, text_offset);
    st_le64(buf + 16, image_size);
    st_le64(buf + 24, flags);
    st_le32(buf + 56, ARM64_IMAGE_MAGIC);
    st_le32(buf + 60, 0x40);      /* res5: offset of the PE header */
    for (size_t i = 64; i < len; i++) {
        buf[i] = (uint8_t)(i * 7 + (i >> 9));
    }
    return buf;
}

static uint8_t *gzip_bytes(const uint8_t *in, size_t len, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    g_assert_cmpint(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
                    ==, Z_OK);
    size_t cap = deflateBound(&zs, len);
    uint8_t *out = g_malloc(cap);
    zs.next_in = (Bytef *)in;
    zs.avail_in = len;
    zs.next_out = out;
    zs.avail_out = cap;
    g_assert_cmpint(deflate(&zs, Z_FINISH), ==, Z_STREAM_END);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    return out;
}

/* Writes a temporary file; the caller g_unlink()s and frees the path. */
static char *write_tmp(const void *data, size_t len)
{
    char *path = NULL;
    GError *err = NULL;
    int fd = g_file_open_tmp("armpass-test-boot-XXXXXX", &path, &err);
    g_assert_no_error(err);
    g_assert_cmpint(write(fd, data, len), ==, (ssize_t)len);
    close(fd);
    return path;
}

static void test_header_parse(void)
{
    g_autofree uint8_t *img = make_image(4096, 0, 0x1234000, 0xa);
    Arm64ImageHeader hdr;
    GError *err = NULL;

    g_assert_true(arm64_image_parse_header(img, 4096, &hdr, &err));
    g_assert_no_error(err);
    g_assert_cmphex(hdr.text_offset, ==, 0);
    g_assert_cmphex(hdr.image_size, ==, 0x1234000);
    g_assert_cmphex(hdr.flags, ==, 0xa);

    /* Exactly the header is enough. */
    st_le64(img + 8, 0x80000);
    g_assert_true(arm64_image_parse_header(img, 64, &hdr, &err));
    g_assert_no_error(err);
    g_assert_cmphex(hdr.text_offset, ==, 0x80000);
}

static void test_header_legacy(void)
{
    /* image_size 0 (before 3.17): text_offset 0x80000 whatever the field says, size from the
     * length rounded up to 2 MiB, flags ignored. */
    size_t len = 3 * MiB + 5;
    g_autofree uint8_t *img = make_image(len, 0x1234, 0, 1);
    Arm64ImageHeader hdr;
    GError *err = NULL;

    g_assert_true(arm64_image_parse_header(img, len, &hdr, &err));
    g_assert_no_error(err);
    g_assert_cmphex(hdr.text_offset, ==, 0x80000);
    g_assert_cmphex(hdr.image_size, ==, 4 * MiB);
    g_assert_cmphex(hdr.flags, ==, 0);
}

static void test_header_bad_magic(void)
{
    g_autofree uint8_t *img = make_image(256, 0, 0x100000, 0);
    Arm64ImageHeader hdr;
    GError *err = NULL;

    img[59] = 0x65;
    g_assert_false(arm64_image_parse_header(img, 256, &hdr, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT);
    g_assert_cmpstr(err->message, ==,
                    "not an arm64 Linux Image (no \"ARM\\x64\" magic at byte 56; "
                    "give an arm64 Image or Image.gz)");
    g_clear_error(&err);

    /* An ELF file (vmlinux) gets a hint. */
    memcpy(img, "\x7f" "ELF", 4);
    g_assert_false(arm64_image_parse_header(img, 256, &hdr, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT);
    g_assert_nonnull(strstr(err->message, "not an arm64 Linux Image"));
    g_assert_nonnull(strstr(err->message, "vmlinux"));
    g_clear_error(&err);
}

static void test_header_truncated(void)
{
    g_autofree uint8_t *img = make_image(64, 0, 0x100000, 0);
    Arm64ImageHeader hdr;
    GError *err = NULL;

    g_assert_false(arm64_image_parse_header(img, 63, &hdr, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT);
    g_assert_nonnull(strstr(err->message, "too short"));
    g_assert_nonnull(strstr(err->message, "63 bytes"));
    g_clear_error(&err);

    g_assert_false(arm64_image_parse_header(img, 0, &hdr, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT);
    g_clear_error(&err);
}

static void test_header_big_endian(void)
{
    g_autofree uint8_t *img = make_image(128, 0, 0x100000, 0x1 | 0x2);
    Arm64ImageHeader hdr;
    GError *err = NULL;

    g_assert_false(arm64_image_parse_header(img, 128, &hdr, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT);
    g_assert_nonnull(strstr(err->message, "big-endian"));
    g_assert_nonnull(strstr(err->message, "little-endian"));
    g_clear_error(&err);
}

static void test_is_gzip(void)
{
    static const uint8_t gz[] = { 0x1f, 0x8b, 0x08 };
    g_assert_true(arm64_is_gzip(gz, 3));
    g_assert_true(arm64_is_gzip(gz, 2));
    g_assert_false(arm64_is_gzip(gz, 1));
    g_assert_false(arm64_is_gzip(gz + 1, 2));
}

static void test_gunzip_limits(void)
{
    size_t len = 1 * MiB, gz_len;
    g_autofree uint8_t *img = make_image(len, 0, 2 * MiB, 0);
    g_autofree uint8_t *gz = gzip_bytes(img, len, &gz_len);
    GError *err = NULL;

    /* Exactly at the limit is fine, one byte under it is not. */
    GBytes *out = arm64_gunzip(gz, gz_len, len, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(g_bytes_get_size(out), ==, len);
    g_assert_cmpmem(g_bytes_get_data(out, NULL), len, img, len);
    g_bytes_unref(out);

    g_assert_null(arm64_gunzip(gz, gz_len, len - 1, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_TOO_BIG);
    g_clear_error(&err);

    /* ISIZE in the trailer only sizes the first buffer; zlib checks it. */
    g_autofree uint8_t *lie = g_memdup2(gz, gz_len);
    st_le32(lie + gz_len - 4, 16);
    g_assert_null(arm64_gunzip(lie, gz_len, len, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_GZIP);
    g_clear_error(&err);

    /* Two concatenated members inflate to both halves. */
    size_t a_len, b_len;
    g_autofree uint8_t *a = gzip_bytes(img, len / 2, &a_len);
    g_autofree uint8_t *b = gzip_bytes(img + len / 2, len - len / 2, &b_len);
    g_autofree uint8_t *ab = g_malloc(a_len + b_len);
    memcpy(ab, a, a_len);
    memcpy(ab + a_len, b, b_len);
    out = arm64_gunzip(ab, a_len + b_len, 4 * len, &err);
    g_assert_no_error(err);
    g_assert_cmpmem(g_bytes_get_data(out, NULL), g_bytes_get_size(out), img, len);
    g_bytes_unref(out);
}

static void test_load_gzip_roundtrip(void)
{
    size_t len = 3 * MiB + 123, gz_len;
    g_autofree uint8_t *img = make_image(len, 0, 8 * MiB, 0x2);
    g_autofree uint8_t *gz = gzip_bytes(img, len, &gz_len);
    g_assert_cmpuint(gz_len, <, len);
    g_autofree char *path = write_tmp(gz, gz_len);
    Arm64ImageHeader hdr;
    GError *err = NULL;

    GBytes *out = arm64_load_kernel(path, &hdr, &err);
    g_assert_no_error(err);
    g_assert_nonnull(out);
    g_assert_cmpmem(g_bytes_get_data(out, NULL), g_bytes_get_size(out), img, len);
    g_assert_cmphex(hdr.image_size, ==, 8 * MiB);
    g_assert_cmphex(hdr.flags, ==, 0x2);
    g_bytes_unref(out);
    g_unlink(path);
}

static void test_load_raw(void)
{
    size_t len = 200 * 1024;
    g_autofree uint8_t *img = make_image(len, 0, 4 * MiB, 0);
    g_autofree char *path = write_tmp(img, len);
    Arm64ImageHeader hdr;
    GError *err = NULL;

    GBytes *out = arm64_load_kernel(path, &hdr, &err);
    g_assert_no_error(err);
    g_assert_cmpmem(g_bytes_get_data(out, NULL), g_bytes_get_size(out), img, len);
    g_assert_cmphex(hdr.image_size, ==, 4 * MiB);
    g_bytes_unref(out);
    g_unlink(path);
}

static void test_load_corrupt_gzip(void)
{
    size_t len = 512 * 1024, gz_len;
    g_autofree uint8_t *img = make_image(len, 0, 4 * MiB, 0);
    g_autofree uint8_t *gz = gzip_bytes(img, len, &gz_len);
    Arm64ImageHeader hdr;
    GError *err = NULL;

    /* Garbage in the middle of the deflate data. */
    g_autofree uint8_t *bad = g_memdup2(gz, gz_len);
    memset(bad + gz_len / 2, 0xff, 64);
    g_autofree char *path = write_tmp(bad, gz_len);
    g_assert_null(arm64_load_kernel(path, &hdr, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_GZIP);
    g_autofree char *prefix = g_strdup_printf("kernel \"%s\": corrupt gzip data", path);
    g_assert_true(g_str_has_prefix(err->message, prefix));
    g_clear_error(&err);
    g_unlink(path);

    /* Cut short. */
    g_autofree char *path2 = write_tmp(gz, gz_len / 2);
    g_assert_null(arm64_load_kernel(path2, &hdr, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_GZIP);
    g_assert_nonnull(strstr(err->message, path2));
    g_assert_nonnull(strstr(err->message, "ends early"));
    g_clear_error(&err);
    g_unlink(path2);

    /* Intact gzip of something that is not an Image. */
    static const char text[] = "hello, this is not a kernel, just some text to compress, "
                               "long enough to hold an Image header and then some more";
    size_t tgz_len;
    g_autofree uint8_t *tgz = gzip_bytes((const uint8_t *)text, sizeof(text), &tgz_len);
    g_autofree char *path3 = write_tmp(tgz, tgz_len);
    g_assert_null(arm64_load_kernel(path3, &hdr, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT);
    g_autofree char *prefix3 =
        g_strdup_printf("kernel \"%s\" (after gunzip): not an arm64 Linux Image", path3);
    g_assert_true(g_str_has_prefix(err->message, prefix3));
    g_clear_error(&err);
    g_unlink(path3);
}

static void test_load_errors(void)
{
    Arm64ImageHeader hdr;
    GError *err = NULL;

    g_autofree char *dir = g_dir_make_tmp("armpass-test-boot-XXXXXX", &err);
    g_assert_no_error(err);
    g_autofree char *missing = g_build_filename(dir, "no-such-Image", NULL);
    g_assert_null(arm64_load_kernel(missing, &hdr, &err));
    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_autofree char *want =
        g_strdup_printf("kernel \"%s\": cannot read: No such file or directory", missing);
    g_assert_cmpstr(err->message, ==, want);
    g_clear_error(&err);

    /* A directory. */
    g_assert_null(arm64_load_kernel(dir, &hdr, &err));
    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_ISDIR);
    g_assert_nonnull(strstr(err->message, dir));
    g_clear_error(&err);
    g_rmdir(dir);

    /* Empty. */
    g_autofree char *empty = write_tmp("", 0);
    g_assert_null(arm64_load_kernel(empty, &hdr, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT);
    g_assert_nonnull(strstr(err->message, empty));
    g_assert_nonnull(strstr(err->message, "empty"));
    g_clear_error(&err);
    g_unlink(empty);

    /* Not an Image: the message names the file. */
    static const char junk[128] = "#!/bin/sh\necho this is not a kernel\n";
    g_autofree char *junkpath = write_tmp(junk, sizeof(junk));
    g_assert_null(arm64_load_kernel(junkpath, &hdr, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT);
    g_autofree char *want2 = g_strdup_printf(
        "kernel \"%s\": not an arm64 Linux Image (no \"ARM\\x64\" magic at byte 56; "
        "give an arm64 Image or Image.gz)", junkpath);
    g_assert_cmpstr(err->message, ==, want2);
    g_clear_error(&err);
    g_unlink(junkpath);

    /* Larger than ARM64_IMAGE_MAX_SIZE: refused from its size, without reading it. */
    g_autofree char *big = write_tmp("", 0);
    g_assert_cmpint(truncate(big, (off_t)ARM64_IMAGE_MAX_SIZE + 1), ==, 0);
    g_assert_null(arm64_load_kernel(big, &hdr, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_TOO_BIG);
    g_assert_nonnull(strstr(err->message, big));
    g_clear_error(&err);
    g_unlink(big);
}

/* The board's path: the header first (for the plan), then the Image straight into a buffer
 * that stands for guest RAM from the load address on; nothing else is read into memory. */
static void test_into_ram_raw(void)
{
    size_t len = 300 * 1024 + 5;
    g_autofree uint8_t *img = make_image(len, 0x80000, 4 * MiB, 0xa);
    g_autofree char *path = write_tmp(img, len);
    g_autofree uint8_t *ram = g_malloc(len + 16);
    Arm64Kernel k;
    GError *err = NULL;

    g_assert_true(arm64_kernel_open(path, &k, &err));
    g_assert_no_error(err);
    g_assert_false(k.gz);
    g_assert_cmpuint(k.image_len, ==, len);
    g_assert_cmphex(k.hdr.text_offset, ==, 0x80000);
    g_assert_cmphex(k.hdr.image_size, ==, 4 * MiB);
    memset(ram, 0xee, len + 16);
    g_assert_true(arm64_kernel_load(&k, ram, len + 16, &err));
    g_assert_no_error(err);
    g_assert_cmpmem(ram, len, img, len);
    g_assert_cmphex(ram[len], ==, 0xee); /* not a byte more */
    /* One byte short of room: refused, nothing said about gzip. */
    g_assert_false(arm64_kernel_load(&k, ram, len - 1, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM);
    g_assert_nonnull(strstr(err->message, path));
    g_assert_nonnull(strstr(err->message, "give a larger -m"));
    g_clear_error(&err);
    arm64_kernel_close(&k);
    g_assert_cmpint(k.fd, ==, -1);
    arm64_kernel_close(&k); /* twice is harmless */
    g_unlink(path);
}

static void test_into_ram_gzip(void)
{
    size_t len = 3 * MiB + 77, gz_len;
    g_autofree uint8_t *img = make_image(len, 0, 8 * MiB, 0x2);
    /* A body that compresses poorly, so the compressed file spans many 64 KiB chunks. */
    guint32 x = 12345;
    for (size_t i = 4096; i < len; i++) {
        x = x * 1103515245u + 12345u;
        img[i] = (uint8_t)(x >> 24);
    }
    g_autofree uint8_t *gz = gzip_bytes(img, len, &gz_len);
    g_assert_cmpuint(gz_len, >, 4 * 64 * 1024);
    g_autofree char *path = write_tmp(gz, gz_len);
    g_autofree uint8_t *ram = g_malloc(len + 1);
    Arm64Kernel k;
    GError *err = NULL;

    g_assert_true(arm64_kernel_open(path, &k, &err));
    g_assert_no_error(err);
    g_assert_true(k.gz);
    g_assert_cmpuint(k.file_size, ==, gz_len);
    g_assert_cmpuint(k.image_len, ==, len); /* from ISIZE, before inflating */
    g_assert_cmphex(k.hdr.image_size, ==, 8 * MiB);
    /* Exactly the room it needs. */
    g_assert_true(arm64_kernel_load(&k, ram, len, &err));
    g_assert_no_error(err);
    g_assert_cmpmem(ram, len, img, len);
    g_assert_cmpuint(k.image_len, ==, len);
    /* One byte less: the RAM from the load address on is too small. */
    g_assert_false(arm64_kernel_load(&k, ram, len - 1, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM);
    g_autofree char *prefix = g_strdup_printf("kernel \"%s\": it inflates to more than", path);
    g_assert_true(g_str_has_prefix(err->message, prefix));
    g_clear_error(&err);
    arm64_kernel_close(&k);
    g_unlink(path);

    /* Two members, the second starting inside a later chunk; a lying ISIZE only misleads the
     * first plan, the load gives the exact length. */
    size_t a_len, b_len;
    g_autofree uint8_t *a = gzip_bytes(img, len / 3, &a_len);
    g_autofree uint8_t *b = gzip_bytes(img + len / 3, len - len / 3, &b_len);
    g_autofree uint8_t *ab = g_malloc(a_len + b_len);
    memcpy(ab, a, a_len);
    memcpy(ab + a_len, b, b_len);
    g_autofree char *path2 = write_tmp(ab, a_len + b_len);
    g_assert_true(arm64_kernel_open(path2, &k, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(k.image_len, ==, len - len / 3); /* the last member's ISIZE */
    memset(ram, 0, len + 1);
    g_assert_true(arm64_kernel_load(&k, ram, len + 1, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(k.image_len, ==, len);
    g_assert_cmpmem(ram, len, img, len);
    arm64_kernel_close(&k);
    g_unlink(path2);
}

/* A gzip'd pre-3.17 Image: image_size follows the length, estimated from ISIZE when opened and
 * exact once inflated; truncated or corrupt data fails in the load, naming the file. */
static void test_into_ram_gzip_legacy_and_corrupt(void)
{
    size_t len = 2 * MiB + 4096, gz_len;
    g_autofree uint8_t *img = make_image(len, 0x1234, 0, 0);
    g_autofree uint8_t *gz = gzip_bytes(img, len, &gz_len);
    g_autofree char *path = write_tmp(gz, gz_len);
    g_autofree uint8_t *ram = g_malloc(8 * MiB);
    Arm64Kernel k;
    GError *err = NULL;

    g_assert_true(arm64_kernel_open(path, &k, &err));
    g_assert_cmphex(k.hdr.text_offset, ==, 0x80000);
    g_assert_cmphex(k.hdr.image_size, ==, 4 * MiB);
    g_assert_true(arm64_kernel_load(&k, ram, 8 * MiB, &err));
    g_assert_no_error(err);
    g_assert_cmphex(k.hdr.image_size, ==, 4 * MiB);
    arm64_kernel_close(&k);
    g_unlink(path);

    /* The header inflates, the rest is cut short: open succeeds, the load says so. */
    g_autofree char *cut = write_tmp(gz, gz_len / 2);
    g_assert_true(arm64_kernel_open(cut, &k, &err));
    g_assert_no_error(err);
    g_assert_false(arm64_kernel_load(&k, ram, 8 * MiB, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_GZIP);
    g_assert_nonnull(strstr(err->message, cut));
    g_assert_nonnull(strstr(err->message, "ends early"));
    g_clear_error(&err);
    arm64_kernel_close(&k);
    g_unlink(cut);

    /* Too short to hold a header even once inflated. */
    size_t tiny_len;
    g_autofree uint8_t *tiny = gzip_bytes((const uint8_t *)"short", 5, &tiny_len);
    g_autofree char *tpath = write_tmp(tiny, tiny_len);
    g_assert_false(arm64_kernel_open(tpath, &k, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT);
    g_autofree char *want = g_strdup_printf("kernel \"%s\" (after gunzip): too short", tpath);
    g_assert_true(g_str_has_prefix(err->message, want));
    g_clear_error(&err);
    g_unlink(tpath);
}

static void test_gunzip_into(void)
{
    size_t len = 256 * 1024, gz_len, out_len = 0;
    g_autofree uint8_t *img = make_image(len, 0, 2 * MiB, 0);
    g_autofree uint8_t *gz = gzip_bytes(img, len, &gz_len);
    g_autofree uint8_t *dst = g_malloc(len);
    GError *err = NULL;

    g_assert_true(arm64_gunzip_into(gz, gz_len, dst, len, &out_len, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(out_len, ==, len);
    g_assert_cmpmem(dst, len, img, len);
    g_assert_false(arm64_gunzip_into(gz, gz_len, dst, len - 1, &out_len, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_TOO_BIG);
    g_clear_error(&err);
}

static void test_initrd_open(void)
{
    static const char data[] = "070701 a cpio archive stands here";
    g_autofree char *path = write_tmp(data, sizeof(data));
    uint8_t buf[sizeof(data)];
    uint64_t size = 0;
    GError *err = NULL;

    int fd = arm64_initrd_open(path, &size, &err);
    g_assert_no_error(err);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpuint(size, ==, sizeof(data));
    g_assert_true(arm64_read_fd_into(fd, "initrd", path, buf, size, &err));
    g_assert_cmpmem(buf, sizeof(buf), data, sizeof(data));
    /* Asked for more than is there (it shrank): an error, not a short copy. */
    g_assert_false(arm64_read_fd_into(fd, "initrd", path, buf, size + 1, &err));
    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_IO);
    g_assert_nonnull(strstr(err->message, "shrank"));
    g_clear_error(&err);
    close(fd);
    g_unlink(path);

    g_assert_cmpint(arm64_initrd_open("/nonexistent/initrd", &size, &err), ==, -1);
    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_cmpstr(err->message, ==,
                    "initrd \"/nonexistent/initrd\": cannot read: No such file or directory");
    g_clear_error(&err);
    /* A character device has no size to plan with. */
    g_assert_cmpint(arm64_initrd_open("/dev/null", &size, &err), ==, -1);
    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL);
    g_clear_error(&err);
}

static void test_plan_exact(void)
{
    Arm64ImageHeader hdr = { .text_offset = 0, .image_size = 0x1a30000, .flags = 0xa };
    Arm64BootLayout lay;
    GError *err = NULL;

    /* virt: RAM at 1 GiB. Kernel 26.2 MiB -> initrd at 28 MiB -> dtb after the initrd. */
    g_assert_true(arm64_boot_plan(0x40000000, 512 * MiB, &hdr, 0x1200000, 0x345678, &lay,
                                  &err));
    g_assert_no_error(err);
    g_assert_cmphex(lay.kernel_addr, ==, 0x40000000);
    g_assert_cmphex(lay.initrd_addr, ==, 0x41c00000);
    g_assert_cmphex(lay.initrd_size, ==, 0x345678);
    g_assert_cmphex(lay.dtb_addr, ==, 0x42000000);

    /* No initrd: the dtb follows the kernel. */
    g_assert_true(arm64_boot_plan(0x40000000, 512 * MiB, &hdr, 0x1200000, 0, &lay, &err));
    g_assert_no_error(err);
    g_assert_cmphex(lay.kernel_addr, ==, 0x40000000);
    g_assert_cmphex(lay.initrd_addr, ==, 0);
    g_assert_cmphex(lay.initrd_size, ==, 0);
    g_assert_cmphex(lay.dtb_addr, ==, 0x41c00000);

    /* text_offset from an unaligned RAM base; a file longer than image_size counts. */
    Arm64ImageHeader old = { .text_offset = 0x80000, .image_size = 0x100000 };
    g_assert_true(arm64_boot_plan(0x40100000, 64 * MiB, &old, 0x280000, 0x1000, &lay, &err));
    g_assert_no_error(err);
    g_assert_cmphex(lay.kernel_addr, ==, 0x40280000);
    g_assert_cmphex(lay.initrd_addr, ==, 0x40600000);
    g_assert_cmphex(lay.dtb_addr, ==, 0x40800000);
    g_assert_cmpuint(lay.dtb_addr % 8, ==, 0);

    /* Just enough: the dtb's 2 MiB ends at the end of RAM. */
    g_assert_true(arm64_boot_plan(0x40000000, 34 * MiB, &hdr, 0x1200000, 0x345678, &lay,
                                  &err));
    g_assert_no_error(err);
    g_assert_cmphex(lay.dtb_addr + ARM64_DTB_MAX_SIZE, ==, 0x40000000 + 34 * MiB);
}

static void test_plan_too_small(void)
{
    Arm64ImageHeader hdr = { .text_offset = 0, .image_size = 0x1a30000, .flags = 0xa };
    Arm64BootLayout lay;
    GError *err = NULL;

    g_assert_false(arm64_boot_plan(0x40000000, 16 * MiB, &hdr, 0x1200000, 0x345678, &lay,
                                   &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM);
    g_assert_true(g_str_has_prefix(err->message,
                                   "-m 16M is too small for this kernel and initrd: "
                                   "they need at least 34 MiB"));
    g_clear_error(&err);

    /* One byte short of the minimum. */
    g_assert_false(arm64_boot_plan(0x40000000, 34 * MiB - 1, &hdr, 0x1200000, 0x345678, &lay,
                                   &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM);
    g_assert_nonnull(strstr(err->message, "at least 34 MiB"));
    g_clear_error(&err);

    /* A huge initrd, and a header whose sizes overflow. */
    g_assert_false(arm64_boot_plan(0x40000000, 1024 * MiB, &hdr, 0x1200000, 2048 * MiB, &lay,
                                   &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM);
    g_assert_true(g_str_has_prefix(err->message, "-m 1G is too small"));
    g_clear_error(&err);

    Arm64ImageHeader bad = { .text_offset = 0, .image_size = UINT64_MAX - 0x1000 };
    g_assert_false(arm64_boot_plan(0x40000000, 1024 * MiB, &bad, 0x1200000, 0, &lay, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM);
    g_clear_error(&err);
}

/* --- ELF executables and raw binaries ------------------------------------------------------ */

static void st_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

typedef struct TestSeg {
    uint32_t type;
    uint64_t paddr, vaddr, filesz, memsz;
} TestSeg;

/* The byte a test ELF's segment i holds at its offset j: recognisable after the load. */
static uint8_t seg_byte(unsigned i, uint64_t j)
{
    return (uint8_t)(0x11 * (i + 1) + j * 3);
}

/*
 * An aarch64 ET_EXEC ELF (elf(5)): header, n program headers at byte 64, each segment's file
 * bytes at the next 4 KiB boundary (seg_byte). *len: the file's size.
 */
static uint8_t *make_elf(const TestSeg *segs, unsigned n, uint64_t entry, size_t *len)
{
    size_t off = 4096, size = off;
    for (unsigned i = 0; i < n; i++) {
        size += (segs[i].filesz + 4095) & ~(uint64_t)4095;
    }
    uint8_t *e = g_malloc0(size);
    memcpy(e, "\x7f" "ELF", 4);
    e[4] = 2;                   /* ELFCLASS64 */
    e[5] = 1;                   /* ELFDATA2LSB */
    e[6] = 1;                   /* EV_CURRENT */
    st_le16(e + 16, 2);         /* ET_EXEC */
    st_le16(e + 18, 183);       /* EM_AARCH64 */
    st_le32(e + 20, 1);
    st_le64(e + 24, entry);
    st_le64(e + 32, 64);        /* e_phoff */
    st_le16(e + 52, 64);        /* e_ehsize */
    st_le16(e + 54, 56);        /* e_phentsize */
    st_le16(e + 56, (uint16_t)n);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *ph = e + 64 + 56 * i;
        st_le32(ph, segs[i].type);
        st_le32(ph + 4, 5);     /* R X */
        st_le64(ph + 8, off);
        st_le64(ph + 16, segs[i].vaddr ? segs[i].vaddr : segs[i].paddr);
        st_le64(ph + 24, segs[i].paddr);
        st_le64(ph + 32, segs[i].filesz);
        st_le64(ph + 40, segs[i].memsz);
        st_le64(ph + 48, 4096);
        for (uint64_t j = 0; j < segs[i].filesz; j++) {
            e[off + j] = seg_byte(i, j);
        }
        off += (segs[i].filesz + 4095) & ~(uint64_t)4095;
    }
    *len = size;
    return e;
}

/* What baremetal-hello's link looks like: text, data + bss 64 KiB higher, a note. */
static const TestSeg hello_segs[] = {
    { 1, 0x40200000, 0, 0x300, 0x300 },
    { 4, 0, 0, 0, 0 },                      /* PT_NOTE: not loaded */
    { 1, 0x40210000, 0, 0x8, 0x1008 },
};

static void test_elf_parse(void)
{
    size_t len;
    g_autofree uint8_t *e = make_elf(hello_segs, 3, 0x40200040, &len);
    Arm64Elf elf;
    GError *err = NULL;

    g_assert_true(arm64_is_elf(e, len));
    g_assert_false(arm64_is_elf(e, 3));
    g_assert_true(arm64_elf_parse(e, len, &elf, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(elf.nsegs, ==, 2);
    g_assert_cmphex(elf.entry, ==, 0x40200040);
    g_assert_cmphex(elf.low, ==, 0x40200000);
    g_assert_cmphex(elf.high, ==, 0x40211008);
    g_assert_cmphex(elf.segs[1].paddr, ==, 0x40210000);
    g_assert_cmphex(elf.segs[1].filesz, ==, 8);
    g_assert_cmphex(elf.segs[1].memsz, ==, 0x1008);
    g_assert_cmphex(elf.segs[1].offset, ==, 8192);
    arm64_elf_clear(&elf);
    g_assert_null(elf.segs);

    /* Linked at a virtual address, loaded at the physical one: the entry point follows. */
    static const TestSeg high[] = { { 1, 0x40080000, 0xffff800008000000, 0x1000, 0x2000 } };
    g_autofree uint8_t *h = make_elf(high, 1, 0xffff800008000800, &len);
    g_assert_true(arm64_elf_parse(h, len, &elf, &err));
    g_assert_no_error(err);
    g_assert_cmphex(elf.entry, ==, 0x40080800);
    g_assert_cmphex(elf.low, ==, 0x40080000);
    g_assert_cmphex(elf.high, ==, 0x40082000);
    arm64_elf_clear(&elf);
}

/* Parses buf and expects an ELF error of one line that contains want. */
static void assert_elf_refused(const uint8_t *buf, size_t len, const char *want)
{
    Arm64Elf elf;
    GError *err = NULL;

    g_assert_false(arm64_elf_parse(buf, len, &elf, &err));
    g_test_message("%s", err->message);
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF);
    g_assert_null(strchr(err->message, '\n'));
    g_assert_nonnull(strstr(err->message, want));
    g_assert_null(elf.segs);
    g_clear_error(&err);
}

static void test_elf_refused(void)
{
    size_t len;
    g_autofree uint8_t *good = make_elf(hello_segs, 3, 0x40200000, &len);
    g_autofree uint8_t *e = g_malloc(len);

#define FRESH() memcpy(e, good, len)
    FRESH();
    assert_elf_refused(e, 63, "truncated ELF (63 bytes");
    e[4] = 1;                   /* ELFCLASS32 */
    st_le16(e + 18, 40);        /* EM_ARM */
    assert_elf_refused(e, len, "a 32-bit ELF (ELFCLASS32) for 32-bit arm");
    FRESH();
    e[5] = 2;                   /* ELFDATA2MSB, e_machine read big-endian: 0xb700 */
    e[18] = 0, e[19] = 183;
    assert_elf_refused(e, len, "a big-endian ELF (ELFDATA2MSB) for aarch64");
    FRESH();
    e[4] = 3;
    assert_elf_refused(e, len, "not a valid ELF (EI_CLASS 3)");
    FRESH();
    e[6] = 0;
    assert_elf_refused(e, len, "not a valid ELF (version 0");
    FRESH();
    st_le16(e + 18, 62);        /* EM_X86_64 */
    assert_elf_refused(e, len, "an ELF for another architecture: x86-64 (e_machine 62)");
    FRESH();
    st_le16(e + 18, 243);
    assert_elf_refused(e, len, "another architecture: RISC-V");
    FRESH();
    st_le16(e + 16, 3);         /* ET_DYN */
    assert_elf_refused(e, len, "position-independent ELF (ET_DYN");
    FRESH();
    st_le16(e + 16, 1);         /* ET_REL */
    assert_elf_refused(e, len, "object file (ET_REL)");
    FRESH();
    st_le16(e + 16, 4);         /* ET_CORE */
    assert_elf_refused(e, len, "core dump");
    FRESH();
    st_le16(e + 56, 0);
    assert_elf_refused(e, len, "no program headers");
    FRESH();
    st_le16(e + 56, 0xffff);
    assert_elf_refused(e, len, "PN_XNUM");
    FRESH();
    st_le16(e + 54, 32);
    assert_elf_refused(e, len, "program headers are 32 bytes each, not 56");
    FRESH();
    st_le64(e + 32, len - 100);  /* the table runs past the end */
    assert_elf_refused(e, len, "its 3 program headers (at byte");
    FRESH();
    st_le64(e + 32, UINT64_MAX - 8);
    assert_elf_refused(e, len, "lie past the end of the file");
    FRESH();
    st_le32(e + 64 + 56, 3);    /* the note becomes PT_INTERP */
    assert_elf_refused(e, len, "dynamically linked program");
    FRESH();
    st_le32(e + 64, 4);         /* both loadable ones become notes */
    st_le32(e + 64 + 112, 4);
    assert_elf_refused(e, len, "no loadable segment");
    FRESH();
    st_le64(e + 64 + 112 + 32, 0x2000); /* segment 2: p_filesz over p_memsz */
    assert_elf_refused(e, len, "segment 2 has p_filesz 0x2000 over its p_memsz 0x1008");
    FRESH();
    st_le64(e + 64 + 112 + 8, len - 4); /* segment 2's 8 bytes start 4 before the end */
    assert_elf_refused(e, len, "segment 2's 8 bytes at byte");
    FRESH();
    st_le64(e + 64 + 112 + 24, UINT64_MAX - 0x100); /* wraps */
    assert_elf_refused(e, len, "segment 2 (0x1008 bytes at 0xfffffffffffffeff) runs past "
                       "the end of the address space");
    FRESH();
    st_le64(e + 64 + 112 + 24, 0x402002f8);          /* inside segment 0's last 8 bytes */
    st_le64(e + 64 + 112 + 16, 0x402002f8);
    assert_elf_refused(e, len, "segments 0 and 2 overlap at guest-physical 0x402002f8");
    FRESH();
    st_le64(e + 24, 0x40210004);                     /* in .data's file bytes: fine */
    Arm64Elf elf;
    GError *err = NULL;
    g_assert_true(arm64_elf_parse(e, len, &elf, &err));
    arm64_elf_clear(&elf);
    st_le64(e + 24, 0x40210010);                     /* in .bss: zeros, not code */
    assert_elf_refused(e, len, "entry point 0x40210010 lies in none of its loadable");
    st_le64(e + 24, 0x50000000);
    assert_elf_refused(e, len, "entry point 0x50000000 lies in none");
    st_le64(e + 24, 0x40200002);
    assert_elf_refused(e, len, "entry point 0x40200002 is not 4-byte aligned");
    g_assert_false(arm64_elf_parse((const uint8_t *)"MZ", 2, &elf, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF);
    g_clear_error(&err);
#undef FRESH
}

/* arm64_kernel_open on a file: the format, and for an Image-only reader the old answer. */
static void test_elf_open_load(void)
{
    size_t len;
    g_autofree uint8_t *e = make_elf(hello_segs, 3, 0x40200000, &len);
    g_autofree char *path = write_tmp(e, len);
    uint64_t ram_base = 0x40000000, ram_size = 64 * MiB;
    g_autofree uint8_t *ram = g_malloc(ram_size);
    Arm64Kernel k;
    Arm64BootLayout l;
    Arm64ImageHeader hdr;
    GError *err = NULL;

    g_assert_true(arm64_kernel_open(path, &k, &err));
    g_assert_no_error(err);
    g_assert_cmpint(k.format, ==, ARM64_KERNEL_ELF);
    g_assert_false(k.gz);
    g_assert_cmpuint(k.elf.nsegs, ==, 2);
    g_assert_true(arm64_kernel_plan(&k, ram_base, ram_size, 0, 4096, &l, &err));
    g_assert_no_error(err);
    g_assert_cmphex(l.entry, ==, 0x40200000);
    g_assert_cmphex(l.kernel_addr, ==, 0x40200000);
    g_assert_cmphex(l.kernel_end, ==, 0x40211008);
    g_assert_cmphex(l.dtb_addr, ==, ram_base); /* below the ELF: where QEMU puts it */
    g_assert_cmphex(l.initrd_addr, ==, 0);

    /* The segments' bytes where they are linked, .bss zeroed, nothing else touched. */
    memset(ram, 0xee, ram_size);
    g_assert_true(arm64_kernel_load_elf(&k, ram, ram_base, ram_size, &err));
    g_assert_no_error(err);
    const uint8_t *text = ram + 0x200000, *data = ram + 0x210000;
    for (uint64_t j = 0; j < 0x300; j++) {
        g_assert_cmphex(text[j], ==, seg_byte(0, j));
    }
    g_assert_cmphex(text[0x300], ==, 0xee);
    g_assert_cmphex(text[-1], ==, 0xee);
    for (uint64_t j = 0; j < 8; j++) {
        g_assert_cmphex(data[j], ==, seg_byte(2, j));
    }
    for (uint64_t j = 8; j < 0x1008; j++) {
        g_assert_cmphex(data[j], ==, 0);
    }
    g_assert_cmphex(data[0x1008], ==, 0xee);
    g_assert_cmphex(data[-1], ==, 0xee);
    /* RAM that does not hold the segments: refused, not written past. */
    g_assert_false(arm64_kernel_load_elf(&k, ram, ram_base, 0x210000, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM);
    g_clear_error(&err);
    arm64_kernel_close(&k);
    g_assert_null(k.elf.segs);
    /* What the plan needs stays after close. */
    g_assert_true(arm64_kernel_plan(&k, ram_base, ram_size, 0, 4096, &l, &err));
    g_assert_cmphex(l.entry, ==, 0x40200000);

    /* The heap reader takes Linux Images only, and says what this is. */
    g_assert_null(arm64_load_kernel(path, &hdr, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT);
    g_assert_nonnull(strstr(err->message, "not an arm64 Linux Image"));
    g_assert_nonnull(strstr(err->message, "this is an ELF file"));
    g_clear_error(&err);

    /* A refused ELF names the file; a truncated one is said to be so. */
    st_le16(e + 18, 62);
    g_autofree char *x86 = write_tmp(e, len);
    g_assert_false(arm64_kernel_open(x86, &k, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF);
    g_autofree char *want = g_strdup_printf("kernel \"%s\": an ELF for another architecture: "
                                            "x86-64 (e_machine 62); give an aarch64 "
                                            "(EM_AARCH64) executable", x86);
    g_assert_cmpstr(err->message, ==, want);
    g_clear_error(&err);
    g_assert_cmpint(k.fd, ==, -1);
    st_le16(e + 18, 183);
    g_autofree char *cut = write_tmp(e, 8192 + 4); /* data's 8 bytes cut to 4 */
    g_assert_false(arm64_kernel_open(cut, &k, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF);
    g_assert_nonnull(strstr(err->message, cut));
    g_assert_nonnull(strstr(err->message, "truncated"));
    g_clear_error(&err);
    g_autofree char *hdr_only = write_tmp(e, 40);
    g_assert_false(arm64_kernel_open(hdr_only, &k, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF);
    g_assert_nonnull(strstr(err->message, "truncated ELF (40 bytes"));
    g_clear_error(&err);
    g_unlink(path);
    g_unlink(x86);
    g_unlink(cut);
    g_unlink(hdr_only);
}

/* A plan in ram_size (bytes) that fails says which -m would do: more than ram_size, with it the
 * plan succeeds, and 2 MiB less fails unless that is no more than ram_size. */
static void assert_advice_right(const Arm64Kernel *k, uint64_t ram_base, uint64_t ram_size,
                                const char *msg, uint64_t initrd_size, uint64_t dtb_size)
{
    const char *give = strstr(msg, "give -m ");
    Arm64BootLayout l;
    GError *err = NULL;

    g_assert_nonnull(give);
    uint64_t need = g_ascii_strtoull(give + 8, NULL, 10) * MiB;
    g_assert_cmpuint(need, >, ram_size);
    g_assert_true(arm64_kernel_plan(k, ram_base, need, initrd_size, dtb_size, &l, &err));
    g_assert_no_error(err);
    if (need - 2 * MiB > ram_size) {
        g_assert_false(arm64_kernel_plan(k, ram_base, need - 2 * MiB, initrd_size, dtb_size, &l,
                                         &err));
        g_clear_error(&err);
    }
}

static void test_elf_plan(void)
{
    Arm64ElfSegment segs[] = { { .paddr = 0x40200000, .filesz = 0x100, .memsz = 0x10000 } };
    Arm64Kernel k = { .fd = -1, .format = ARM64_KERNEL_ELF,
                      .elf = { .entry = 0x40200000, .low = 0x40200000, .high = 0x40210000,
                               .segs = segs, .nsegs = 1 } };
    Arm64BootLayout l;
    GError *err = NULL;

    /* An initrd: QEMU's place, half of small RAM or 128 MiB into large RAM. */
    g_assert_true(arm64_kernel_plan(&k, 0x40000000, 64 * MiB, 5 * MiB, 8192, &l, &err));
    g_assert_no_error(err);
    g_assert_cmphex(l.initrd_addr, ==, 0x42000000);
    g_assert_cmphex(l.initrd_size, ==, 5 * MiB);
    g_assert_cmphex(l.dtb_addr, ==, 0x40000000);
    g_assert_true(arm64_kernel_plan(&k, 0x40000000, 1024 * MiB, 5 * MiB, 8192, &l, &err));
    g_assert_cmphex(l.initrd_addr, ==, 0x48000000);

    /* A device tree larger than the room below the ELF goes after the ELF and initrd,
     * 2 MiB-aligned; so does any when the ELF starts at the start of RAM. */
    g_assert_true(arm64_kernel_plan(&k, 0x40000000, 64 * MiB, 5 * MiB, 2 * MiB + 1, &l, &err));
    g_assert_cmphex(l.dtb_addr, ==, 0x42600000);
    g_assert_true(arm64_kernel_plan(&k, 0x40000000, 64 * MiB, 0, 2 * MiB + 1, &l, &err));
    g_assert_cmphex(l.dtb_addr, ==, 0x40400000);
    g_assert_true(arm64_kernel_plan(&k, 0x40000000, 64 * MiB, 0, 2 * MiB, &l, &err));
    g_assert_cmphex(l.dtb_addr, ==, 0x40000000);     /* exactly fills the room */

    /* Outside RAM: below it, beyond it. */
    g_assert_false(arm64_kernel_plan(&k, 0x40400000, 64 * MiB, 0, 8192, &l, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM);
    g_assert_cmpstr(err->message, ==, "this ELF starts at guest-physical 0x40200000, below "
                    "RAM (0x40400000-0x44400000, -m 64M): link it at 0x40400000 or above");
    g_clear_error(&err);
    g_assert_false(arm64_kernel_plan(&k, 0x40000000, 2 * MiB, 0, 8192, &l, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM);
    g_assert_true(g_str_has_prefix(err->message, "this ELF (guest-physical 0x40200000-"
                                   "0x40210000, 65536 bytes) ends beyond RAM (0x40000000-"
                                   "0x40200000, -m 2M): give -m 4M or more, or link it lower"));
    assert_advice_right(&k, 0x40000000, 2 * MiB, err->message, 0, 8192);
    g_clear_error(&err);

    /* The ELF fits, its initrd does not. */
    g_assert_false(arm64_kernel_plan(&k, 0x40000000, 16 * MiB, 40 * MiB, 8192, &l, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM);
    g_assert_true(g_str_has_prefix(err->message, "-m 16M is too small for this ELF and initrd"));
    g_assert_null(strchr(err->message, '\n'));
    assert_advice_right(&k, 0x40000000, 16 * MiB, err->message, 40 * MiB, 8192);
    g_clear_error(&err);

    /* RAM off the 2 MiB lattice (the board never gives it; the loader's callers may): at
     * 14 MiB the tree fits after the initrd, at 15 MiB the initrd's end crosses a 2 MiB step
     * and pushes the tree out. The advice is the least size above the one given that works. */
    Arm64ElfSegment low[] = { { .paddr = 0x40000000, .filesz = 0x100, .memsz = 0x10000 } };
    k.elf = (Arm64Elf){ .entry = 0x40000000, .low = 0x40000000, .high = 0x40010000,
                        .segs = low, .nsegs = 1 };
    g_assert_true(arm64_kernel_plan(&k, 0x40000000, 14 * MiB, 3 * MiB / 4, 11 * MiB / 2, &l,
                                    &err));
    g_assert_false(arm64_kernel_plan(&k, 0x40000000, 15 * MiB, 3 * MiB / 4, 11 * MiB / 2, &l,
                                     &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM);
    g_assert_nonnull(strstr(err->message, "give -m 16M or more"));
    g_assert_nonnull(strstr(err->message, "the initrd (1 MiB) from 0x40780000 ")); /* in 15M */
    assert_advice_right(&k, 0x40000000, 15 * MiB, err->message, 3 * MiB / 4,
                        11 * MiB / 2);
    g_clear_error(&err);

    /* RAM run past the top of the address space ends there, so no larger -m helps: found by
     * fuzz-elf (the plan advised a -m smaller than the one given). */
    Arm64ElfSegment high[] = { { .paddr = 0xffffffffff2ff000, .filesz = 4, .memsz = 0xfff } };
    k.elf = (Arm64Elf){ .entry = high[0].paddr, .low = high[0].paddr,
                        .high = 0xffffffffff2fffff, .segs = high, .nsegs = 1 };
    g_assert_false(arm64_kernel_plan(&k, 0xffffffffff080008, 32 * GiB, 5 * 65536, 0x604000, &l,
                                     &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM);
    g_assert_cmpstr(err->message, ==, "this ELF (0xffffffffff2ff000-0xffffffffff2fffff), its "
                    "initrd and its device tree do not fit in RAM 0xffffffffff080008-"
                    "0xffffffffffffffff (-m 32G), and no larger -m would fit them: link it lower");
    g_clear_error(&err);

    /* An ELF that only fits with the last of the address space, less than 2 MiB past the last
     * multiple of 2 MiB (RAM 15 MiB below the top): the advice is the multiple that reaches the
     * top. */
    uint64_t base15 = UINT64_MAX - 15 * MiB;
    Arm64ElfSegment last[] = { { .paddr = base15 + 4096, .filesz = 4, .memsz = 14 * MiB } };
    k.elf = (Arm64Elf){ .entry = base15 + 4096, .low = base15 + 4096,
                        .high = base15 + 4096 + 14 * MiB, .segs = last, .nsegs = 1 };
    g_assert_false(arm64_kernel_plan(&k, base15, 14 * MiB, 0, 4096, &l, &err));
    g_clear_error(&err);
    g_assert_false(arm64_kernel_plan(&k, base15, 2 * MiB, 0, 4096, &l, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM);
    g_assert_nonnull(strstr(err->message, "give -m 16M or more"));
    assert_advice_right(&k, base15, 2 * MiB, err->message, 0, 4096);
    g_clear_error(&err);

    /* Nothing fits near the top of the address space. */
    Arm64ElfSegment top[] = { { .paddr = UINT64_MAX - 0xfff, .filesz = 4, .memsz = 0x1000 } };
    k.elf = (Arm64Elf){ .entry = top[0].paddr, .low = top[0].paddr, .high = UINT64_MAX,
                        .segs = top, .nsegs = 1 };
    g_assert_false(arm64_kernel_plan(&k, 0x40000000, 64 * MiB, 1, 8192, &l, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM);
    g_assert_nonnull(strstr(err->message, "link it lower"));
    g_clear_error(&err);
}

static void test_raw(void)
{
    size_t len = 300 * 1024 + 3;
    g_autofree uint8_t *bin = g_malloc(len);
    for (size_t i = 0; i < len; i++) {
        bin[i] = (uint8_t)(i * 5 + 1);
    }
    st_le32(bin, 0xd503201f);   /* nop */
    g_autofree char *path = write_tmp(bin, len);
    g_autofree uint8_t *ram = g_malloc(len + 1);
    Arm64Kernel k;
    Arm64BootLayout l;
    GError *err = NULL;

    g_assert_true(arm64_kernel_open(path, &k, &err));
    g_assert_no_error(err);
    g_assert_cmpint(k.format, ==, ARM64_KERNEL_RAW);
    g_assert_cmpuint(k.file_size, ==, len);
    g_assert_true(arm64_kernel_plan(&k, 0x40000000, 64 * MiB, 0, 16384, &l, &err));
    g_assert_no_error(err);
    g_assert_cmphex(l.kernel_addr, ==, 0x40080000);
    g_assert_cmphex(l.entry, ==, 0x40080000);
    g_assert_cmphex(l.kernel_end, ==, 0x40080000 + len);
    g_assert_cmphex(l.dtb_addr, ==, 0x40000000);
    /* A tree over the 512 KiB below it goes after it; an initrd at QEMU's place. */
    g_assert_true(arm64_kernel_plan(&k, 0x40000000, 64 * MiB, 4096, 512 * 1024 + 1, &l, &err));
    g_assert_cmphex(l.initrd_addr, ==, 0x42000000);
    g_assert_cmphex(l.dtb_addr, ==, 0x42200000);
    /* Larger than RAM from its load address. */
    g_assert_false(arm64_kernel_plan(&k, 0x40000000, 512 * 1024 + len - 1, 0, 16384, &l, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM);
    g_assert_nonnull(strstr(err->message, "this raw binary (guest-physical 0x40080000-"));
    g_assert_nonnull(strstr(err->message, "ends beyond RAM"));
    g_assert_null(strstr(err->message, "link it"));
    assert_advice_right(&k, 0x40000000, 512 * 1024 + len - 1, err->message, 0, 16384);
    g_clear_error(&err);

    memset(ram, 0xee, len + 1);
    g_assert_true(arm64_kernel_load(&k, ram, len + 1, &err));
    g_assert_no_error(err);
    g_assert_cmpmem(ram, len, bin, len);
    g_assert_cmphex(ram[len], ==, 0xee);
    g_assert_false(arm64_kernel_load(&k, ram, len - 1, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM);
    g_clear_error(&err);
    arm64_kernel_close(&k);
    g_unlink(path);
}

/* What cannot be a raw binary either: one line that says what it is and what to give. */
static void assert_open_refused(const void *data, size_t len, const char *want)
{
    g_autofree char *path = write_tmp(data, len);
    Arm64Kernel k;
    GError *err = NULL;

    g_assert_false(arm64_kernel_open(path, &k, &err));
    g_test_message("%s", err->message);
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT);
    g_assert_nonnull(strstr(err->message, path));
    g_assert_nonnull(strstr(err->message, want));
    g_assert_nonnull(strstr(err->message, "an aarch64 ELF executable, or a raw aarch64 binary"));
    g_assert_null(strchr(err->message, '\n'));
    g_clear_error(&err);
    g_unlink(path);
}

static void test_raw_refused(void)
{
    uint8_t buf[128] = { 0 };

    assert_open_refused("#!/bin/sh\necho hello\n", 21, "a script");
    assert_open_refused(buf, sizeof(buf), "its first 4 bytes are 0 (UDF #0)");
    assert_open_refused("\x1f\x20\x03", 3, "3 bytes, too short to be a raw binary");
    memcpy(buf, "MZ\0\0zimg", 8);
    assert_open_refused(buf, sizeof(buf), "an EFI zboot image");
    memset(buf, 0, sizeof(buf));
    st_le32(buf, 0xe1a00000);
    st_le32(buf + 0x24, 0x016f2818);
    assert_open_refused(buf, sizeof(buf), "a 32-bit arm zImage");
    memset(buf, 0, sizeof(buf));
    st_le32(buf, 0x56190527);
    assert_open_refused(buf, sizeof(buf), "a U-Boot uImage");
    /* An Image header that is wrong is still an Image error, not a raw binary. */
    g_autofree uint8_t *be = make_image(4096, 0, 0x100000, 1);
    g_autofree char *path = write_tmp(be, 4096);
    Arm64Kernel k;
    GError *err = NULL;
    g_assert_false(arm64_kernel_open(path, &k, &err));
    g_assert_error(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT);
    g_assert_nonnull(strstr(err->message, "big-endian"));
    g_clear_error(&err);
    g_unlink(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/boot/header/parse", test_header_parse);
    g_test_add_func("/boot/header/legacy-no-image-size", test_header_legacy);
    g_test_add_func("/boot/header/bad-magic", test_header_bad_magic);
    g_test_add_func("/boot/header/truncated", test_header_truncated);
    g_test_add_func("/boot/header/big-endian", test_header_big_endian);
    g_test_add_func("/boot/gzip/is-gzip", test_is_gzip);
    g_test_add_func("/boot/gzip/limits", test_gunzip_limits);
    g_test_add_func("/boot/load/gzip-roundtrip", test_load_gzip_roundtrip);
    g_test_add_func("/boot/load/raw", test_load_raw);
    g_test_add_func("/boot/load/corrupt-gzip", test_load_corrupt_gzip);
    g_test_add_func("/boot/load/errors", test_load_errors);
    g_test_add_func("/boot/into-ram/raw", test_into_ram_raw);
    g_test_add_func("/boot/into-ram/gzip", test_into_ram_gzip);
    g_test_add_func("/boot/into-ram/gzip-legacy-and-corrupt", test_into_ram_gzip_legacy_and_corrupt);
    g_test_add_func("/boot/into-ram/gunzip-into", test_gunzip_into);
    g_test_add_func("/boot/into-ram/initrd", test_initrd_open);
    g_test_add_func("/boot/plan/exact", test_plan_exact);
    g_test_add_func("/boot/plan/too-small", test_plan_too_small);
    g_test_add_func("/boot/elf/parse", test_elf_parse);
    g_test_add_func("/boot/elf/refused", test_elf_refused);
    g_test_add_func("/boot/elf/open-load", test_elf_open_load);
    g_test_add_func("/boot/elf/plan", test_elf_plan);
    g_test_add_func("/boot/raw/open-plan-load", test_raw);
    g_test_add_func("/boot/raw/refused", test_raw_refused);
    return g_test_run();
}
