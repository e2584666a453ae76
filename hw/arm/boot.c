// SPDX-License-Identifier: GPL-2.0-only
/* Loads an arm64 Linux Image (raw or gzip'd) and plans where kernel, initrd and dtb go. */
#define G_LOG_DOMAIN "armpass-boot"

#include "hw/arm/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MiB (UINT64_C(1024) * 1024)
#define GiB (UINT64_C(1024) * MiB)
#define SZ_2M (2 * MiB)
/* booting.rst: with image_size 0 (kernels before 3.17) text_offset is 0x80000. */
#define ARM64_LEGACY_TEXT_OFFSET 0x80000ull

G_DEFINE_QUARK(arm64-boot-error-quark, arm64_boot_error)

static uint32_t ld_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t ld_le64(const uint8_t *p)
{
    return (uint64_t)ld_le32(p) | (uint64_t)ld_le32(p + 4) << 32;
}

/* Rounds v up to a multiple of the power of two a; false when that overflows. */
static bool align_up(uint64_t v, uint64_t a, uint64_t *out)
{
    if (v > UINT64_MAX - (a - 1)) {
        return false;
    }
    *out = (v + a - 1) & ~(a - 1);
    return true;
}

/* What the bytes look like instead, to say what to give: "" when nothing is recognised. */
static const char *not_an_image_hint(const uint8_t *buf, size_t len)
{
    if (len >= 4 && memcmp(buf, "\x7f" "ELF", 4) == 0) {
        return "; this is an ELF file such as vmlinux";
    }
    if (len >= 8 && memcmp(buf, "MZ", 2) == 0 && memcmp(buf + 4, "zimg", 4) == 0) {
        return "; this is an EFI zboot image (vmlinuz.efi)";
    }
    if (len >= 0x28 && ld_le32(buf + 0x24) == 0x016f2818) {
        return "; this is a 32-bit arm zImage";
    }
    if (len >= 4 && ld_le32(buf) == 0x56190527) {
        return "; this is a U-Boot uImage";
    }
    return "";
}

bool arm64_image_parse_header_sized(const uint8_t *buf, size_t len, size_t image_len,
                                    Arm64ImageHeader *hdr, GError **errp)
{
    if (len < ARM64_IMAGE_HEADER_SIZE) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT,
                    "too short for an arm64 Linux Image (%zu bytes, the header alone is %d; "
                    "give an arm64 Image or Image.gz)", len, ARM64_IMAGE_HEADER_SIZE);
        return false;
    }
    if (ld_le32(buf + 56) != ARM64_IMAGE_MAGIC) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT,
                    "not an arm64 Linux Image (no \"ARM\\x64\" magic at byte 56%s; "
                    "give an arm64 Image or Image.gz)", not_an_image_hint(buf, len));
        return false;
    }

    uint64_t text_offset = ld_le64(buf + 8);
    uint64_t image_size = ld_le64(buf + 16);
    uint64_t flags = ld_le64(buf + 24);

    if (image_size == 0) {
        /* Before 3.17: no flags (those bytes were reserved, zero), text_offset in the
         * kernel's endianness and assumed 0x80000; the kernel's extent is unknown. */
        text_offset = ARM64_LEGACY_TEXT_OFFSET;
        if (!align_up(image_len, SZ_2M, &image_size)) {
            image_size = image_len;
        }
        flags = 0;
        g_debug("Image header without image_size (pre-3.17 kernel): text_offset %#" PRIx64
                ", assuming image_size %#" PRIx64, text_offset, image_size);
    }
    if (flags & 1) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT,
                    "a big-endian arm64 kernel (flags bit 0 in its Image header); armpass "
                    "runs little-endian guests only: give a kernel built without "
                    "CONFIG_CPU_BIG_ENDIAN");
        return false;
    }

    static const char *const page_sizes[] = { "unspecified", "4K", "16K", "64K" };
    g_debug("Image header: text_offset %#" PRIx64 ", image_size %#" PRIx64 ", flags %#" PRIx64
            " (pages %s, placement %s)", text_offset, image_size, flags,
            page_sizes[(flags >> 1) & 3], (flags & 8) ? "anywhere" : "near the base of RAM");
    hdr->text_offset = text_offset;
    hdr->image_size = image_size;
    hdr->flags = flags;
    return true;
}

bool arm64_image_parse_header(const uint8_t *buf, size_t len, Arm64ImageHeader *hdr,
                              GError **errp)
{
    return arm64_image_parse_header_sized(buf, len, len, hdr, errp);
}

bool arm64_is_gzip(const uint8_t *buf, size_t len)
{
    return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
}

/*
 * Where gunzip_core takes its compressed bytes from: a buffer (mem, len) or a file (fd, len
 * bytes from offset 0) read through a small chunk buffer, so that a kernel file is never
 * held whole in armpass's memory.
 */
typedef struct GzIn {
    const uint8_t *mem; /* the whole input (buffer) or the chunk (file) */
    int fd;             /* -1: a buffer */
    const char *path;   /* for read errors */
    uint64_t len;       /* bytes of input in all */
    uint64_t off;       /* file offset of the next byte to read into the chunk */
    uint8_t *chunk;
    size_t chunk_cap;
    const uint8_t *in;  /* next unconsumed byte */
    size_t in_left;     /* unconsumed bytes at in */
} GzIn;

#define GZ_CHUNK (64 * 1024)

/* Refills a file input's chunk, keeping the in_left unconsumed bytes at its front. */
static bool gz_fill(GzIn *g, GError **errp)
{
    if (g->fd < 0 || g->off >= g->len) {
        return true;
    }
    memmove(g->chunk, g->in, g->in_left);
    size_t want = (size_t)MIN((uint64_t)(g->chunk_cap - g->in_left), g->len - g->off);
    size_t got = 0;
    while (got < want) {
        ssize_t n = pread(g->fd, g->chunk + g->in_left + got, want - got,
                          (off_t)(g->off + got));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int e = errno;
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(e), "cannot read: %s",
                        g_strerror(e));
            return false;
        }
        if (n == 0) {
            g->len = g->off + got; /* the file shrank: what is there is all there is */
            break;
        }
        got += (size_t)n;
    }
    g->off += got;
    g->in = g->chunk;
    g->in_left += got;
    return true;
}

/* Input bytes consumed so far (for messages). */
static uint64_t gz_pos(const GzIn *g)
{
    return g->fd < 0 ? g->len - g->in_left : g->off - g->in_left;
}

/*
 * Inflates the gzip input g into out[0, cap): when grow, out is a g_malloc'd buffer that
 * grows (*outp is updated) up to max + 1 bytes; else it is fixed and cap == max. Produces
 * at most max bytes: more is the TOO_BIG error (checked by inflating one more byte into
 * scratch), unless peek, which stops without error once the buffer is full (reading a header).
 * Concatenated gzip members continue the output. *total: bytes produced.
 */
static bool gunzip_core(GzIn *g, uint8_t **outp, size_t cap, size_t max, bool grow, bool peek,
                        size_t *total_out, GError **errp)
{
    z_stream zs;
    uint8_t scratch[1];
    uint8_t *out = *outp;
    size_t total = 0;
    bool over = false;

    memset(&zs, 0, sizeof(zs));
    int ret = inflateInit2(&zs, 16 + MAX_WBITS);
    if (ret != Z_OK) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_GZIP,
                    "cannot start gzip decompression (zlib: %s; is armpass short of memory?)",
                    zs.msg ? zs.msg : zError(ret));
        return false;
    }
    for (;;) {
        if (total == cap && grow && cap <= max) {
            cap = MIN(cap * 2, max + 1);
            out = g_realloc(out, cap);
            *outp = out;
        }
        if (total > max) {
            over = true;
            break;
        }
        if (total == cap && peek) {
            break;
        }
        if (g->in_left == 0 && !gz_fill(g, errp)) {
            goto fail;
        }
        bool to_scratch = total == cap; /* fixed and full: does any more come? */
        zs.next_in = (Bytef *)g->in;
        zs.avail_in = (uInt)MIN(g->in_left, (size_t)UINT_MAX);
        zs.next_out = to_scratch ? scratch : out + total;
        zs.avail_out = to_scratch ? 1 : (uInt)MIN(cap - total, (size_t)UINT_MAX);
        uInt in_before = zs.avail_in, out_before = zs.avail_out;

        ret = inflate(&zs, Z_NO_FLUSH);

        g->in += in_before - zs.avail_in;
        g->in_left -= in_before - zs.avail_in;
        if (to_scratch && zs.avail_out == 0) {
            over = true;
            break;
        }
        total += out_before - zs.avail_out;
        if (ret == Z_STREAM_END) {
            if (g->in_left < 2 && !gz_fill(g, errp)) {
                goto fail;
            }
            if (!arm64_is_gzip(g->in, g->in_left)) {
                break;
            }
            /* Another gzip member follows (gzip output concatenated): it continues. */
            inflateReset(&zs);
            continue;
        }
        if (ret == Z_BUF_ERROR && g->in_left == 0 && gz_pos(g) >= g->len) {
            g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_GZIP,
                        "corrupt gzip data (it ends early, at %" PRIu64 " bytes; give an "
                        "intact Image.gz or the uncompressed Image)", g->len);
            goto fail;
        }
        if (ret != Z_OK && ret != Z_BUF_ERROR) {
            g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_GZIP,
                        "corrupt gzip data (zlib: %s at input byte %" PRIu64 "; give an intact "
                        "Image.gz or the uncompressed Image)",
                        zs.msg ? zs.msg : zError(ret), gz_pos(g));
            goto fail;
        }
    }
    if (over || total > max) {
        g_autofree char *limit = max % MiB ? g_strdup_printf("%zu bytes", max)
                                           : g_strdup_printf("%zu MiB", max / (size_t)MiB);
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_TOO_BIG,
                    "gzip data inflates to more than %s (give an arm64 Image or Image.gz "
                    "of at most that size)", limit);
        goto fail;
    }
    if (!peek && (g->in_left || gz_pos(g) < g->len)) {
        g_debug("ignoring %" PRIu64 " bytes after the end of the gzip stream",
                g->len - gz_pos(g));
    }
    inflateEnd(&zs);
    *total_out = total;
    return true;

fail:
    inflateEnd(&zs);
    return false;
}

GBytes *arm64_gunzip(const uint8_t *buf, size_t len, size_t max, GError **errp)
{
    GzIn g = { .mem = buf, .fd = -1, .len = len, .in = buf, .in_left = len };

    max = MIN(max, SIZE_MAX - 1);
    /* The gzip trailer's ISIZE (length mod 2^32) is a good first guess at the size; never
     * trust it beyond max. One byte more than max is room to notice the output is too big. */
    size_t cap = 64 * 1024;
    if (len >= 18) {
        size_t isize = ld_le32(buf + len - 4);
        cap = MAX(cap, MIN(isize, max) + 1);
    }
    cap = MIN(cap, max + 1);
    uint8_t *out = g_malloc(cap);
    size_t total;
    if (!gunzip_core(&g, &out, cap, max, true, false, &total, errp)) {
        g_free(out);
        return NULL;
    }
    g_debug("gunzip: %zu bytes -> %zu bytes", len, total);
    return g_bytes_new_take(g_realloc(out, total ? total : 1), total);
}

bool arm64_gunzip_into(const uint8_t *buf, size_t len, uint8_t *dst, size_t room,
                       size_t *out_len, GError **errp)
{
    GzIn g = { .mem = buf, .fd = -1, .len = len, .in = buf, .in_left = len };

    return gunzip_core(&g, &dst, room, room, false, false, out_len, errp);
}

/* Opens path for reading and refuses what is not a regular file of at most max bytes. */
static int open_regular(const char *what, const char *path, uint64_t max, uint64_t *size,
                        GError **errp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;

    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(e), "%s \"%s\": cannot read: %s",
                    what, path, g_strerror(e));
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_ISDIR, "%s \"%s\": cannot read: %s",
                    what, path, g_strerror(EISDIR));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s \"%s\": not a regular file "
                    "(its size must be known before it is placed in RAM: give a file)",
                    what, path);
        goto fail;
    }
    if ((uint64_t)st.st_size > max) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_TOO_BIG,
                    "%s \"%s\": too big (%" PRIu64 " bytes; give an arm64 Image or "
                    "Image.gz of at most %" PRIu64 " MiB)", what, path, (uint64_t)st.st_size,
                    max / MiB);
        goto fail;
    }
    *size = (uint64_t)st.st_size;
    return fd;

fail:
    if (fd >= 0) {
        close(fd);
    }
    return -1;
}

bool arm64_read_fd_into(int fd, const char *what, const char *path, uint8_t *dst, uint64_t len,
                        GError **errp)
{
    uint64_t got = 0;

    while (got < len) {
        ssize_t n = pread(fd, dst + got, (size_t)MIN(len - got, (uint64_t)(1u << 30)),
                          (off_t)got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int e = errno;
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(e),
                        "%s \"%s\": cannot read: %s", what, path, g_strerror(e));
            return false;
        }
        if (n == 0) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO, "%s \"%s\": cannot read: it "
                        "shrank while being read (%" PRIu64 " of %" PRIu64 " bytes)", what,
                        path, got, len);
            return false;
        }
        got += (uint64_t)n;
    }
    return true;
}

bool arm64_kernel_open(const char *path, Arm64Kernel *k, GError **errp)
{
    uint8_t head[ARM64_IMAGE_HEADER_SIZE];
    size_t head_len = 0;

    memset(k, 0, sizeof(*k));
    k->fd = open_regular("kernel", path, ARM64_IMAGE_MAX_SIZE, &k->file_size, errp);
    if (k->fd < 0) {
        return false;
    }
    k->path = g_strdup(path);
    if (k->file_size == 0) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT,
                    "kernel \"%s\": the file is empty (give an arm64 Image or Image.gz)", path);
        goto fail;
    }
    uint8_t magic[2] = { 0 };
    if (pread(k->fd, magic, 2, 0) == 2 && arm64_is_gzip(magic, 2)) {
        /* Inflate just far enough for the header; ISIZE (the Image's length mod 2^32, in
         * the last 4 bytes) stands for its length until the whole is inflated. */
        uint8_t tail[4];
        uint8_t chunk[4096];
        uint8_t *hp = head;
        GzIn g = { .fd = k->fd, .path = path, .len = k->file_size, .chunk = chunk,
                   .chunk_cap = sizeof(chunk), .in = chunk };

        k->gz = true;
        if (!gunzip_core(&g, &hp, sizeof(head), sizeof(head), false, true, &head_len, errp)) {
            g_prefix_error(errp, "kernel \"%s\": ", path);
            goto fail;
        }
        k->image_len = head_len;
        if (k->file_size >= 18 && pread(k->fd, tail, 4, (off_t)(k->file_size - 4)) == 4) {
            k->image_len = MAX((size_t)ld_le32(tail), head_len);
        }
    } else {
        if (!arm64_read_fd_into(k->fd, "kernel", path, head,
                                MIN(k->file_size, (uint64_t)sizeof(head)), errp)) {
            goto fail;
        }
        head_len = (size_t)MIN(k->file_size, (uint64_t)sizeof(head));
        k->image_len = (size_t)k->file_size;
    }
    if (!arm64_image_parse_header_sized(head, head_len, k->image_len, &k->hdr, errp)) {
        g_prefix_error(errp, "kernel \"%s\"%s: ", path, k->gz ? " (after gunzip)" : "");
        goto fail;
    }
    return true;

fail:
    arm64_kernel_close(k);
    return false;
}

bool arm64_kernel_load(Arm64Kernel *k, uint8_t *dst, uint64_t room, GError **errp)
{
    if (!k->gz) {
        if (k->file_size > room) {
            g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM,
                        "kernel \"%s\": %" PRIu64 " bytes, more than the %" PRIu64 " bytes of "
                        "RAM from its load address on (give a larger -m)", k->path,
                        k->file_size, room);
            return false;
        }
        if (!arm64_read_fd_into(k->fd, "kernel", k->path, dst, k->file_size, errp)) {
            return false;
        }
        g_debug("kernel \"%s\": %" PRIu64 "-byte Image read into RAM", k->path, k->file_size);
        return true;
    }

    uint8_t *chunk = g_malloc(GZ_CHUNK);
    GzIn g = { .fd = k->fd, .path = k->path, .len = k->file_size, .chunk = chunk,
               .chunk_cap = GZ_CHUNK, .in = chunk };
    size_t max = (size_t)MIN(room, (uint64_t)ARM64_IMAGE_MAX_SIZE), len;
    GError *err = NULL;
    bool ok = gunzip_core(&g, &dst, max, max, false, false, &len, &err);

    g_free(chunk);
    if (!ok) {
        if (g_error_matches(err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_TOO_BIG) &&
            max < ARM64_IMAGE_MAX_SIZE) {
            g_clear_error(&err);
            g_set_error(&err, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM,
                        "it inflates to more than the %" PRIu64 " bytes of RAM from its load "
                        "address on (give a larger -m)", room);
        }
        g_propagate_prefixed_error(errp, err, "kernel \"%s\": ", k->path);
        return false;
    }
    /* The header was read from the first bytes: the same bytes are in dst now. */
    Arm64ImageHeader hdr;
    if (!arm64_image_parse_header_sized(dst, len, len, &hdr, errp)) {
        g_prefix_error(errp, "kernel \"%s\" (after gunzip): ", k->path);
        return false;
    }
    k->hdr = hdr;   /* image_size of a pre-3.17 header follows the real length */
    k->image_len = len;
    g_debug("kernel \"%s\": gzip'd, %" PRIu64 " bytes inflated into RAM as a %zu-byte Image",
            k->path, k->file_size, len);
    return true;
}

void arm64_kernel_close(Arm64Kernel *k)
{
    if (k->fd >= 0) {
        close(k->fd);
    }
    k->fd = -1;
    g_clear_pointer(&k->path, g_free);
}

int arm64_initrd_open(const char *path, uint64_t *size, GError **errp)
{
    return open_regular("initrd", path, UINT64_MAX, size, errp);
}

GBytes *arm64_load_kernel(const char *path, Arm64ImageHeader *hdr, GError **errp)
{
    Arm64Kernel k;

    if (!arm64_kernel_open(path, &k, errp)) {
        return NULL;
    }
    /* Into a heap buffer of the Image's size (raw: the file's; gzip: at most the limit). */
    size_t room = k.gz ? ARM64_IMAGE_MAX_SIZE : (size_t)k.file_size;
    size_t cap = k.gz ? MIN(MAX(k.image_len, (size_t)4096), room) : room;
    uint8_t *buf;
    if (k.gz) {
        uint8_t *chunk = g_malloc(GZ_CHUNK);
        GzIn g = { .fd = k.fd, .path = path, .len = k.file_size, .chunk = chunk,
                   .chunk_cap = GZ_CHUNK, .in = chunk };
        size_t len;
        buf = g_malloc(cap + 1);
        bool ok = gunzip_core(&g, &buf, cap + 1, room, true, false, &len, errp);
        g_free(chunk);
        if (!ok) {
            g_prefix_error(errp, "kernel \"%s\": ", path);
            goto fail;
        }
        if (!arm64_image_parse_header_sized(buf, len, len, &k.hdr, errp)) {
            g_prefix_error(errp, "kernel \"%s\" (after gunzip): ", path);
            goto fail;
        }
        k.image_len = len;
    } else {
        buf = g_malloc(MAX(room, (size_t)1));
        if (!arm64_kernel_load(&k, buf, room, errp)) {
            goto fail;
        }
    }
    *hdr = k.hdr;
    size_t len = k.image_len;
    arm64_kernel_close(&k);
    return g_bytes_new_take(buf, len);

fail:
    g_free(buf);
    arm64_kernel_close(&k);
    return NULL;
}

/* "16M", "2G", "1536K" or bytes, as -m would take it. */
static char *ram_size_str(uint64_t size)
{
    if (size && size % GiB == 0) {
        return g_strdup_printf("%" PRIu64 "G", size / GiB);
    }
    if (size && size % MiB == 0) {
        return g_strdup_printf("%" PRIu64 "M", size / MiB);
    }
    if (size && size % 1024 == 0) {
        return g_strdup_printf("%" PRIu64 "K", size / 1024);
    }
    return g_strdup_printf("%" PRIu64 "B", size);
}

bool arm64_boot_plan(uint64_t ram_base, uint64_t ram_size, const Arm64ImageHeader *hdr,
                     size_t image_len, uint64_t initrd_size, Arm64BootLayout *out,
                     GError **errp)
{
    uint64_t ram_end = ram_base + ram_size;
    if (ram_end < ram_base) {
        ram_end = UINT64_MAX;
    }
    uint64_t span = MAX(hdr->image_size, (uint64_t)image_len);
    uint64_t base, kernel_addr, kernel_end, initrd_addr = 0, initrd_end, dtb_addr, dtb_end;

    /* Sequential from the start of RAM: booting.rst wants the kernel's 2 MiB-aligned base
     * near the start of RAM (flags bit 3 clear), the initrd and dtb in the same 1 GiB-aligned
     * window of up to 32 GiB, and the dtb alone in its 2 MiB blocks. */
    if (!align_up(ram_base, SZ_2M, &base) ||
        !g_uint64_checked_add(&kernel_addr, base, hdr->text_offset) ||
        !g_uint64_checked_add(&kernel_end, kernel_addr, span) ||
        !align_up(kernel_end, SZ_2M, &initrd_end)) {
        goto overflow;
    }
    if (initrd_size) {
        initrd_addr = initrd_end;
        if (!g_uint64_checked_add(&initrd_end, initrd_addr, initrd_size)) {
            goto overflow;
        }
    }
    if (!align_up(initrd_end, SZ_2M, &dtb_addr) ||
        !g_uint64_checked_add(&dtb_end, dtb_addr, ARM64_DTB_MAX_SIZE)) {
        goto overflow;
    }

    if (dtb_end > ram_end) {
        uint64_t need = (dtb_end - ram_base + MiB - 1) / MiB;
        g_autofree char *have = ram_size_str(ram_size);
        g_autofree char *initrd_part =
            initrd_size ? g_strdup_printf(", initrd %" PRIu64 " MiB", (initrd_size + MiB - 1) / MiB)
                        : g_strdup("");
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM,
                    "-m %s is too small for this kernel and %s: they need at least %" PRIu64
                    " MiB (kernel %" PRIu64 " MiB%s, device tree %u MiB, each 2 MiB-aligned; "
                    "give -m %" PRIu64 "M or more)", have,
                    initrd_size ? "initrd" : "device tree", need, (span + MiB - 1) / MiB,
                    initrd_part, ARM64_DTB_MAX_SIZE / (unsigned)MiB, need);
        return false;
    }

    out->kernel_addr = kernel_addr;
    out->initrd_addr = initrd_addr;
    out->initrd_size = initrd_size;
    out->dtb_addr = dtb_addr;
    g_debug("boot plan: kernel %#" PRIx64 "-%#" PRIx64 ", initrd %#" PRIx64 "+%#" PRIx64
            ", dtb %#" PRIx64 " in RAM %#" PRIx64 "-%#" PRIx64, kernel_addr, kernel_end,
            initrd_addr, initrd_size, dtb_addr, ram_base, ram_end);
    return true;

overflow:
    g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM,
                "the kernel's text_offset %#" PRIx64 " and image_size %#" PRIx64
                " (or the initrd's %" PRIu64 " bytes) overrun the address space: "
                "give an arm64 Image with a sane header", hdr->text_offset, hdr->image_size,
                initrd_size);
    return false;
}
