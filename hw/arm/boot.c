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

bool arm64_image_parse_header(const uint8_t *buf, size_t len, Arm64ImageHeader *hdr,
                              GError **errp)
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
        if (!align_up(len, SZ_2M, &image_size)) {
            image_size = len;
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

bool arm64_is_gzip(const uint8_t *buf, size_t len)
{
    return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
}

GBytes *arm64_gunzip(const uint8_t *buf, size_t len, size_t max, GError **errp)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    max = MIN(max, SIZE_MAX - 1);
    int ret = inflateInit2(&zs, 16 + MAX_WBITS);
    if (ret != Z_OK) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_GZIP,
                    "cannot start gzip decompression (zlib: %s; is armpass short of memory?)",
                    zs.msg ? zs.msg : zError(ret));
        return NULL;
    }

    /* The gzip trailer's ISIZE (length mod 2^32) is a good first guess at the size; never
     * trust it beyond max. One byte more than max is room to notice the output is too big. */
    size_t cap = 64 * 1024;
    if (len >= 18) {
        size_t isize = ld_le32(buf + len - 4);
        cap = MAX(cap, MIN(isize, max) + 1);
    }
    cap = MIN(cap, max + 1);
    uint8_t *out = g_malloc(cap);
    size_t total = 0;
    const uint8_t *in = buf;
    size_t in_left = len;

    for (;;) {
        if (total > max) {
            break;
        }
        if (total == cap) {
            cap = MIN(cap * 2, max + 1);
            out = g_realloc(out, cap);
        }
        zs.next_in = (Bytef *)in;
        zs.avail_in = (uInt)MIN(in_left, (size_t)UINT_MAX);
        zs.next_out = out + total;
        zs.avail_out = (uInt)MIN(cap - total, (size_t)UINT_MAX);
        uInt in_before = zs.avail_in, out_before = zs.avail_out;

        ret = inflate(&zs, Z_NO_FLUSH);

        in += in_before - zs.avail_in;
        in_left -= in_before - zs.avail_in;
        total += out_before - zs.avail_out;
        if (ret == Z_STREAM_END) {
            if (!arm64_is_gzip(in, in_left)) {
                break;
            }
            /* Another gzip member follows (gzip output concatenated): it continues. */
            inflateReset(&zs);
            continue;
        }
        if (ret == Z_BUF_ERROR && in_left == 0) {
            g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_GZIP,
                        "corrupt gzip data (it ends early, at %zu bytes; give an intact "
                        "Image.gz or the uncompressed Image)", len);
            goto fail;
        }
        if (ret != Z_OK) {
            g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_GZIP,
                        "corrupt gzip data (zlib: %s at input byte %zu; give an intact "
                        "Image.gz or the uncompressed Image)",
                        zs.msg ? zs.msg : zError(ret), len - in_left);
            goto fail;
        }
    }
    if (total > max) {
        g_autofree char *limit = max % MiB ? g_strdup_printf("%zu bytes", max)
                                           : g_strdup_printf("%zu MiB", max / (size_t)MiB);
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_TOO_BIG,
                    "gzip data inflates to more than %s (give an arm64 Image or Image.gz "
                    "of at most that size)", limit);
        goto fail;
    }
    if (in_left) {
        g_debug("ignoring %zu bytes after the end of the gzip stream", in_left);
    }
    inflateEnd(&zs);
    g_debug("gunzip: %zu bytes -> %zu bytes", len, total);
    return g_bytes_new_take(g_realloc(out, total ? total : 1), total);

fail:
    inflateEnd(&zs);
    g_free(out);
    return NULL;
}

/* Reads the whole of path, refusing more than max bytes before reading them all. */
static uint8_t *read_file(const char *path, size_t max, size_t *len_out, GError **errp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(e),
                    "kernel \"%s\": cannot read: %s", path, g_strerror(e));
        return NULL;
    }
    struct stat st;
    size_t cap = 1024 * 1024;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size > max) {
            g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_TOO_BIG,
                        "kernel \"%s\": too big (%" PRIu64 " bytes; give an arm64 Image or "
                        "Image.gz of at most %zu MiB)", path, (uint64_t)st.st_size,
                        max / (size_t)MiB);
            close(fd);
            return NULL;
        }
        cap = (size_t)st.st_size + 1; /* + 1: see EOF in one read */
    }
    uint8_t *buf = g_malloc(cap);
    size_t len = 0;
    for (;;) {
        if (len == cap) {
            if (cap > max) {
                g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_TOO_BIG,
                            "kernel \"%s\": too big (over %zu MiB; give an arm64 Image or "
                            "Image.gz of at most that size)", path, max / (size_t)MiB);
                goto fail;
            }
            cap = MIN(cap * 2, max + 1);
            buf = g_realloc(buf, cap);
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int e = errno;
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(e),
                        "kernel \"%s\": cannot read: %s", path, g_strerror(e));
            goto fail;
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
    }
    close(fd);
    *len_out = len;
    return buf;

fail:
    close(fd);
    g_free(buf);
    return NULL;
}

GBytes *arm64_load_kernel(const char *path, Arm64ImageHeader *hdr, GError **errp)
{
    size_t len;
    uint8_t *data = read_file(path, ARM64_IMAGE_MAX_SIZE, &len, errp);
    if (!data) {
        return NULL;
    }
    if (len == 0) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT,
                    "kernel \"%s\": the file is empty (give an arm64 Image or Image.gz)", path);
        g_free(data);
        return NULL;
    }

    GBytes *image;
    bool gz = arm64_is_gzip(data, len);
    if (gz) {
        image = arm64_gunzip(data, len, ARM64_IMAGE_MAX_SIZE, errp);
        g_free(data);
        if (!image) {
            g_prefix_error(errp, "kernel \"%s\": ", path);
            return NULL;
        }
    } else {
        image = g_bytes_new_take(data, len);
    }

    size_t image_len;
    const uint8_t *p = g_bytes_get_data(image, &image_len);
    if (!arm64_image_parse_header(p, image_len, hdr, errp)) {
        g_prefix_error(errp, "kernel \"%s\"%s: ", path, gz ? " (after gunzip)" : "");
        g_bytes_unref(image);
        return NULL;
    }
    g_debug("kernel \"%s\": %s%zu-byte Image", path, gz ? "gzip'd, " : "", image_len);
    return image;
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
