// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loads what -kernel names (an arm64 Linux Image, raw or gzip'd; an aarch64 ELF executable; a
 * raw binary) and plans where kernel, initrd and dtb go.
 */
#define G_LOG_DOMAIN "armpass-boot"

#include "hw/arm/boot.h"

#include <elf.h>
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

static uint16_t ld_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
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

/* What a file that is no arm64 Image is instead, when that is recognisable: an ELF, or a kernel
 * format armpass does not boot; NULL when nothing is recognised. */
static const char *not_an_image_kind(const uint8_t *buf, size_t len)
{
    if (arm64_is_elf(buf, len)) {
        return "an ELF file such as vmlinux";
    }
    if (len >= 8 && memcmp(buf, "MZ", 2) == 0 && memcmp(buf + 4, "zimg", 4) == 0) {
        return "an EFI zboot image (vmlinuz.efi)";
    }
    if (len >= 0x28 && ld_le32(buf + 0x24) == 0x016f2818) {
        return "a 32-bit arm zImage";
    }
    if (len >= 4 && ld_le32(buf) == 0x56190527) {
        return "a U-Boot uImage";
    }
    return NULL;
}

/* The same as "; this is ..." to end a message with, or "". */
static const char *not_an_image_hint(const uint8_t *buf, size_t len, char *tmp, size_t tmp_len)
{
    const char *kind = not_an_image_kind(buf, len);

    if (!kind) {
        return "";
    }
    g_snprintf(tmp, tmp_len, "; this is %s", kind);
    return tmp;
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
        char tmp[128];

        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT,
                    "not an arm64 Linux Image (no \"ARM\\x64\" magic at byte 56%s; "
                    "give an arm64 Image or Image.gz)",
                    not_an_image_hint(buf, len, tmp, sizeof(tmp)));
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

/* --- ELF (elf(5); the System V ABI's "ELF Header" and "Program Header") ------------------- */

bool arm64_is_elf(const uint8_t *buf, size_t len)
{
    return len >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) == 0;
}

/* e_machine values a user is likely to hand over by mistake, by name. */
static const char *elf_machine_name(unsigned m)
{
    switch (m) {
    case EM_386: return "x86 (32-bit)";
    case EM_X86_64: return "x86-64";
    case EM_ARM: return "32-bit arm";
    case EM_AARCH64: return "aarch64";
    case EM_RISCV: return "RISC-V";
    case EM_PPC: return "PowerPC";
    case EM_PPC64: return "PowerPC64";
    case EM_S390: return "s390";
    case EM_MIPS: return "MIPS";
    case EM_SPARCV9: return "SPARC64";
    case 258: return "LoongArch"; /* EM_LOONGARCH: not in every libc's elf.h */
    default: return "an unknown machine";
    }
}

/* What the ELF header says, as far as loading goes. */
typedef struct ElfHeader {
    uint64_t entry;  /* e_entry: a virtual address */
    uint64_t phoff;  /* e_phoff: file offset of the program header table */
    unsigned phnum;  /* e_phnum */
} ElfHeader;

/*
 * Checks the ELF header at h (len >= ARM64_ELF_EHDR_SIZE bytes from the file's start; the file
 * is file_size bytes): a 64-bit little-endian aarch64 executable whose program header table
 * lies inside the file.
 */
static bool elf_parse_header(const uint8_t *h, size_t len, uint64_t file_size, ElfHeader *out,
                             GError **errp)
{
    const char *what;

    if (len < ARM64_ELF_EHDR_SIZE || file_size < ARM64_ELF_EHDR_SIZE) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                    "a truncated ELF (%" PRIu64 " bytes; its header alone is %d): give the "
                    "whole file", MIN((uint64_t)len, file_size), ARM64_ELF_EHDR_SIZE);
        return false;
    }
    if (h[EI_CLASS] != ELFCLASS32 && h[EI_CLASS] != ELFCLASS64) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                    "not a valid ELF (EI_CLASS %u): give an aarch64 ELF executable", h[EI_CLASS]);
        return false;
    }
    if (h[EI_DATA] != ELFDATA2LSB && h[EI_DATA] != ELFDATA2MSB) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                    "not a valid ELF (EI_DATA %u): give an aarch64 ELF executable", h[EI_DATA]);
        return false;
    }
    /* e_machine is at byte 18 in both classes, in the file's byte order. */
    unsigned machine = h[EI_DATA] == ELFDATA2LSB ? ld_le16(h + 18)
                                                 : (unsigned)(h[18] << 8 | h[19]);
    if (h[EI_DATA] == ELFDATA2MSB) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                    "a big-endian ELF (ELFDATA2MSB) for %s; armpass runs little-endian aarch64 "
                    "guests only: build it for aarch64 little-endian",
                    elf_machine_name(machine));
        return false;
    }
    if (h[EI_CLASS] == ELFCLASS32) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                    "a 32-bit ELF (ELFCLASS32) for %s (e_machine %u); armpass loads 64-bit "
                    "aarch64 executables: build it for aarch64", elf_machine_name(machine),
                    machine);
        return false;
    }
    if (h[EI_VERSION] != EV_CURRENT || ld_le32(h + 20) != EV_CURRENT) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                    "not a valid ELF (version %u, not %u): give an aarch64 ELF executable",
                    h[EI_VERSION] != EV_CURRENT ? h[EI_VERSION] : ld_le32(h + 20), EV_CURRENT);
        return false;
    }
    if (machine != EM_AARCH64) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                    "an ELF for another architecture: %s (e_machine %u); give an aarch64 "
                    "(EM_AARCH64) executable", elf_machine_name(machine), machine);
        return false;
    }
    unsigned type = ld_le16(h + 16);
    switch (type) {
    case ET_EXEC:
        what = NULL;
        break;
    case ET_DYN:
        what = "a position-independent ELF (ET_DYN: a shared object or a PIE); armpass loads "
               "an executable at the physical addresses it is linked at: link it with -static "
               "-no-pie at a fixed address in RAM";
        break;
    case ET_REL:
        what = "an ELF object file (ET_REL), not linked: link it into an executable at a fixed "
               "address in RAM";
        break;
    case ET_CORE:
        what = "an ELF core dump (ET_CORE): give an aarch64 ELF executable";
        break;
    default:
        what = "an ELF that is no executable: give an aarch64 ELF executable (ET_EXEC)";
        break;
    }
    if (what) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF, "%s (e_type %u)", what, type);
        return false;
    }

    unsigned phentsize = ld_le16(h + 54);
    out->entry = ld_le64(h + 24);
    out->phoff = ld_le64(h + 32);
    out->phnum = ld_le16(h + 56);
    if (out->phnum == PN_XNUM) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                    "%u or more program headers (e_phnum PN_XNUM): more than armpass loads; "
                    "link it with fewer segments", PN_XNUM);
        return false;
    }
    if (out->phnum == 0) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                    "an ELF with no program headers: nothing to load (link it into an "
                    "executable with PT_LOAD segments)");
        return false;
    }
    if (phentsize != ARM64_ELF_PHDR_SIZE) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                    "a corrupt ELF: its program headers are %u bytes each, not %d",
                    phentsize, ARM64_ELF_PHDR_SIZE);
        return false;
    }
    uint64_t table = (uint64_t)out->phnum * ARM64_ELF_PHDR_SIZE, table_end;
    if (!g_uint64_checked_add(&table_end, out->phoff, table) || table_end > file_size) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                    "a truncated ELF: its %u program headers (at byte %#" PRIx64 ") lie past "
                    "the end of the file (%" PRIu64 " bytes): give the whole file", out->phnum,
                    out->phoff, file_size);
        return false;
    }
    return true;
}

static int elf_seg_by_paddr(const void *a, const void *b)
{
    const Arm64ElfSegment *x = a, *y = b;

    return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

/*
 * Reads the program header table (tab: hdr->phnum entries) of a file of file_size bytes into
 * elf: the PT_LOAD segments with p_memsz > 0, the entry point translated to guest-physical.
 */
static bool elf_parse_segments(const uint8_t *tab, const ElfHeader *hdr, uint64_t file_size,
                               Arm64Elf *elf, GError **errp)
{
    g_autofree Arm64ElfSegment *segs = g_new0(Arm64ElfSegment, hdr->phnum);
    g_autofree unsigned *index = g_new0(unsigned, hdr->phnum); /* program header numbers */
    unsigned n = 0;

    for (unsigned i = 0; i < hdr->phnum; i++) {
        const uint8_t *ph = tab + (size_t)i * ARM64_ELF_PHDR_SIZE;
        uint32_t type = ld_le32(ph);
        Arm64ElfSegment s = {
            .offset = ld_le64(ph + 8),
            .vaddr = ld_le64(ph + 16),
            .paddr = ld_le64(ph + 24),
            .filesz = ld_le64(ph + 32),
            .memsz = ld_le64(ph + 40),
        };
        uint64_t end;

        if (type == PT_INTERP) {
            g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                        "a dynamically linked program (it asks for an interpreter, PT_INTERP): "
                        "link it -static for bare metal, at a fixed address in RAM");
            return false;
        }
        if (type != PT_LOAD) {
            continue;
        }
        if (s.filesz > s.memsz) {
            g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                        "a corrupt ELF: segment %u has p_filesz %#" PRIx64 " over its "
                        "p_memsz %#" PRIx64, i, s.filesz, s.memsz);
            return false;
        }
        if (!g_uint64_checked_add(&end, s.offset, s.filesz) || end > file_size) {
            g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                        "a truncated ELF: segment %u's %" PRIu64 " bytes at byte %" PRIu64
                        " lie past the end of the file (%" PRIu64 " bytes): give the whole "
                        "file", i, s.filesz, s.offset, file_size);
            return false;
        }
        if (s.memsz == 0) {
            continue;
        }
        if (!g_uint64_checked_add(&end, s.paddr, s.memsz) ||
            !g_uint64_checked_add(&end, s.vaddr, s.memsz)) {
            g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                        "a corrupt ELF: segment %u (%#" PRIx64 " bytes at %#" PRIx64
                        ") runs past the end of the address space", i, s.memsz, s.paddr);
            return false;
        }
        index[n] = i;
        segs[n++] = s;
    }
    if (n == 0) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                    "an ELF with no loadable segment (no PT_LOAD with p_memsz > 0): nothing "
                    "to run");
        return false;
    }

    /* The entry point is virtual (e_entry): the segment whose file bytes hold it, linked at
     * p_vaddr, is loaded at p_paddr. */
    uint64_t entry = 0;
    bool found = false;
    for (unsigned i = 0; i < n && !found; i++) {
        if (hdr->entry >= segs[i].vaddr && hdr->entry - segs[i].vaddr < segs[i].filesz) {
            entry = hdr->entry - segs[i].vaddr + segs[i].paddr;
            found = true;
        }
    }
    if (!found) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                    "its entry point %#" PRIx64 " lies in none of its loadable segments' file "
                    "bytes: nothing would run there (check the linker script's ENTRY)",
                    hdr->entry);
        return false;
    }
    if (entry % 4) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                    "its entry point %#" PRIx64 " is not 4-byte aligned: an aarch64 "
                    "instruction is (check the linker script's ENTRY)", entry);
        return false;
    }

    /* Overlaps, in guest-physical space: sorted by p_paddr, each must end before the next. */
    g_autofree Arm64ElfSegment *sorted = g_memdup2(segs, sizeof(*segs) * n);
    for (unsigned i = 0; i < n; i++) {
        sorted[i].offset = index[i]; /* carries the program header number through the sort */
    }
    qsort(sorted, n, sizeof(*sorted), elf_seg_by_paddr);
    for (unsigned i = 1; i < n; i++) {
        if (sorted[i - 1].paddr + sorted[i - 1].memsz > sorted[i].paddr) {
            g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                        "a corrupt ELF: segments %" PRIu64 " and %" PRIu64 " overlap at "
                        "guest-physical %#" PRIx64 " (p_paddr)", MIN(sorted[i - 1].offset,
                        sorted[i].offset), MAX(sorted[i - 1].offset, sorted[i].offset),
                        sorted[i].paddr);
            return false;
        }
    }

    elf->entry = entry;
    elf->low = sorted[0].paddr;
    elf->high = sorted[n - 1].paddr + sorted[n - 1].memsz;
    elf->segs = g_renew(Arm64ElfSegment, g_steal_pointer(&segs), n);
    elf->nsegs = n;
    for (unsigned i = 0; i < n; i++) {
        g_debug("ELF segment %u: file %#" PRIx64 "+%#" PRIx64 " -> guest-physical %#" PRIx64
                "+%#" PRIx64 " (linked at %#" PRIx64 ")", index[i], elf->segs[i].offset,
                elf->segs[i].filesz, elf->segs[i].paddr, elf->segs[i].memsz,
                elf->segs[i].vaddr);
    }
    g_debug("ELF entry point %#" PRIx64 " (e_entry %#" PRIx64 ")", entry, hdr->entry);
    return true;
}

bool arm64_elf_parse(const uint8_t *buf, size_t len, Arm64Elf *elf, GError **errp)
{
    ElfHeader hdr;

    memset(elf, 0, sizeof(*elf));
    if (!arm64_is_elf(buf, len)) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_ELF,
                    "not an ELF (no \\x7fELF magic at byte 0)");
        return false;
    }
    return elf_parse_header(buf, len, len, &hdr, errp) &&
           elf_parse_segments(buf + hdr.phoff, &hdr, len, elf, errp);
}

void arm64_elf_clear(Arm64Elf *elf)
{
    g_clear_pointer(&elf->segs, g_free);
    elf->nsegs = 0;
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
                    "%s \"%s\": too big (%" PRIu64 " bytes; give a kernel file of at most %"
                    PRIu64 " MiB)", what, path, (uint64_t)st.st_size, max / MiB);
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

/* Reads exactly len bytes at file offset off of fd into dst; errors name what and path. */
static bool read_fd_at(int fd, uint64_t off, const char *what, const char *path, uint8_t *dst,
                       uint64_t len, GError **errp)
{
    uint64_t got = 0;

    while (got < len) {
        ssize_t n = pread(fd, dst + got, (size_t)MIN(len - got, (uint64_t)(1u << 30)),
                          (off_t)(off + got));
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

bool arm64_read_fd_into(int fd, const char *what, const char *path, uint8_t *dst, uint64_t len,
                        GError **errp)
{
    return read_fd_at(fd, 0, what, path, dst, len, errp);
}

/* Why a file that is neither an Image nor an ELF cannot be a raw binary either (head: its
 * first len bytes, len = min(file size, ARM64_IMAGE_HEADER_SIZE)); NULL when it can be. */
static const char *raw_refusal(const uint8_t *head, size_t len, char *tmp, size_t tmp_len)
{
    const char *kind = not_an_image_kind(head, len);

    if (kind) {
        g_snprintf(tmp, tmp_len, "%s, which armpass does not boot", kind);
        return tmp;
    }
    if (len >= 2 && memcmp(head, "#!", 2) == 0) {
        return "a script (it starts with \"#!\"), not a program for the guest";
    }
    if (len < 4) {
        g_snprintf(tmp, tmp_len, "%zu bytes, too short to be a raw binary (not one instruction)",
                   len);
        return tmp;
    }
    if (ld_le32(head) == 0) {
        return "its first 4 bytes are 0 (UDF #0): as a raw binary it would fault at its first "
               "instruction";
    }
    return NULL;
}

/* Reads an ELF's program headers (its header is head[0, head_len)); errors name the file. */
static bool kernel_open_elf(Arm64Kernel *k, const uint8_t *head, size_t head_len, GError **errp)
{
    ElfHeader hdr;

    if (!elf_parse_header(head, head_len, k->file_size, &hdr, errp)) {
        g_prefix_error(errp, "kernel \"%s\": ", k->path);
        return false;
    }
    size_t table = (size_t)hdr.phnum * ARM64_ELF_PHDR_SIZE; /* at most 64 K x 56 bytes */
    g_autofree uint8_t *tab = g_malloc(table);
    if (!read_fd_at(k->fd, hdr.phoff, "kernel", k->path, tab, table, errp)) {
        return false;
    }
    if (!elf_parse_segments(tab, &hdr, k->file_size, &k->elf, errp)) {
        g_prefix_error(errp, "kernel \"%s\": ", k->path);
        return false;
    }
    return true;
}

/* arm64_kernel_open; image_only: what is no Image (after gunzip) is an error, as it was before
 * ELF and raw binaries (arm64_load_kernel). */
static bool kernel_open(const char *path, Arm64Kernel *k, bool image_only, GError **errp)
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
                    "kernel \"%s\": the file is empty (give an arm64 Image or Image.gz, an "
                    "aarch64 ELF executable or a raw binary)", path);
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
        if (!image_only && arm64_is_elf(head, head_len)) {
            k->format = ARM64_KERNEL_ELF;
            if (!kernel_open_elf(k, head, head_len, errp)) {
                goto fail;
            }
            return true;
        }
        if (!image_only && (head_len < ARM64_IMAGE_HEADER_SIZE ||
                            ld_le32(head + 56) != ARM64_IMAGE_MAGIC)) {
            char tmp[128];
            const char *why = raw_refusal(head, head_len, tmp, sizeof(tmp));

            if (why) {
                g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_FORMAT,
                            "kernel \"%s\": %s (give an arm64 Image or Image.gz, an aarch64 "
                            "ELF executable, or a raw aarch64 binary entered at its first "
                            "byte)", path, why);
                goto fail;
            }
            k->format = ARM64_KERNEL_RAW;
            g_debug("kernel \"%s\": no arm64 Image header, not gzip or ELF: a raw binary of "
                    "%" PRIu64 " bytes", path, k->file_size);
            return true;
        }
    }
    k->format = ARM64_KERNEL_IMAGE;
    if (!arm64_image_parse_header_sized(head, head_len, k->image_len, &k->hdr, errp)) {
        g_prefix_error(errp, "kernel \"%s\"%s: ", path, k->gz ? " (after gunzip)" : "");
        goto fail;
    }
    return true;

fail:
    arm64_kernel_close(k);
    return false;
}

bool arm64_kernel_open(const char *path, Arm64Kernel *k, GError **errp)
{
    return kernel_open(path, k, false, errp);
}

bool arm64_kernel_load(Arm64Kernel *k, uint8_t *dst, uint64_t room, GError **errp)
{
    g_return_val_if_fail(k->format != ARM64_KERNEL_ELF, false);
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
        g_debug("kernel \"%s\": %" PRIu64 "-byte %s read into RAM", k->path, k->file_size,
                k->format == ARM64_KERNEL_RAW ? "raw binary" : "Image");
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

bool arm64_kernel_load_elf(Arm64Kernel *k, uint8_t *ram, uint64_t ram_base, uint64_t ram_size,
                           GError **errp)
{
    g_return_val_if_fail(k->format == ARM64_KERNEL_ELF, false);
    for (unsigned i = 0; i < k->elf.nsegs; i++) {
        const Arm64ElfSegment *s = &k->elf.segs[i];
        uint64_t at = s->paddr - ram_base;

        if (s->paddr < ram_base || at > ram_size || s->memsz > ram_size - at) {
            g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM,
                        "kernel \"%s\": ELF segment at %#" PRIx64 "+%#" PRIx64 " is outside "
                        "RAM %#" PRIx64 "+%#" PRIx64, k->path, s->paddr, s->memsz, ram_base,
                        ram_size);
            return false;
        }
        if (!read_fd_at(k->fd, s->offset, "kernel", k->path, ram + at, s->filesz, errp)) {
            return false;
        }
        memset(ram + at + s->filesz, 0, (size_t)(s->memsz - s->filesz));
    }
    g_debug("kernel \"%s\": %u ELF segments read into RAM", k->path, k->elf.nsegs);
    return true;
}

void arm64_kernel_close(Arm64Kernel *k)
{
    if (k->fd >= 0) {
        close(k->fd);
    }
    k->fd = -1;
    g_clear_pointer(&k->path, g_free);
    arm64_elf_clear(&k->elf);
}

int arm64_initrd_open(const char *path, uint64_t *size, GError **errp)
{
    return open_regular("initrd", path, UINT64_MAX, size, errp);
}

GBytes *arm64_load_kernel(const char *path, Arm64ImageHeader *hdr, GError **errp)
{
    Arm64Kernel k;

    if (!kernel_open(path, &k, true, errp)) {
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
    out->kernel_end = kernel_end;
    out->entry = kernel_addr;
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

/* --- ELF and raw binaries: fixed addresses ------------------------------------------------ */

/* An ELF's or raw binary's initrd goes at ram_base + min(ram_size / 2, this) (QEMU's place for
 * the initrd of what it boots as Linux), or 4 KiB-aligned right after the kernel if higher. */
#define FIXED_INITRD_MAX_OFFSET (128 * MiB)

/*
 * The plan of a kernel that occupies guest-physical [start, end) in RAM [ram_base, ram_base +
 * ram_size): false when something does not fit or wraps, *out then holds what was tried. The
 * initrd's place depends on ram_size and the kernel, never on dtb_size; the tree goes below the
 * kernel or after kernel and initrd. Of RAM sizes that are multiples of 2 MiB, what fits in
 * some fits in more (a 2 MiB step of RAM moves the initrd by at most 1 MiB, the tree by at most
 * one 2 MiB step): fixed_min_ram's search rests on that. Off that lattice it need not hold (RAM
 * 1 MiB larger can push the tree a whole step). RAM that would run past the top of the address
 * space ends there, so past the top more RAM is the same RAM.
 */
static bool fixed_layout(uint64_t ram_base, uint64_t ram_size, uint64_t start, uint64_t end,
                         uint64_t initrd_size, uint64_t dtb_size, Arm64BootLayout *out)
{
    uint64_t ram_end, tail, dtb_end;

    memset(out, 0, sizeof(*out));
    out->kernel_addr = start;
    out->kernel_end = end;
    ram_size = MIN(ram_size, UINT64_MAX - ram_base); /* RAM past the top: up to the top */
    ram_end = ram_base + ram_size;
    if (start < ram_base || end > ram_end) {
        return false;
    }
    tail = end;
    if (initrd_size) {
        uint64_t after, initrd_end;

        if (!align_up(end, 4096, &after)) {
            return false;
        }
        out->initrd_addr = MAX(ram_base + MIN(ram_size / 2, FIXED_INITRD_MAX_OFFSET), after);
        out->initrd_size = initrd_size;
        if (!g_uint64_checked_add(&initrd_end, out->initrd_addr, initrd_size) ||
            initrd_end > ram_end) {
            return false;
        }
        tail = initrd_end;
    }
    dtb_size = MAX(dtb_size, (uint64_t)1);
    if (start - ram_base >= dtb_size) {
        out->dtb_addr = ram_base; /* where QEMU puts it for an ELF, and room is left there */
    } else if (!align_up(tail, SZ_2M, &out->dtb_addr)) {
        return false;
    }
    return g_uint64_checked_add(&dtb_end, out->dtb_addr, dtb_size) && dtb_end <= ram_end;
}

/* The least RAM size (a multiple of 2 MiB, bytes) from ram_base with which fixed_layout
 * succeeds; 0 when none does. RAM up to the top of the address space counts (as the least
 * multiple of 2 MiB that reaches the top) where no multiple below the top fits. */
static uint64_t fixed_min_ram(uint64_t ram_base, uint64_t start, uint64_t end,
                              uint64_t initrd_size, uint64_t dtb_size)
{
    Arm64BootLayout l;
    uint64_t lo = 0, hi = (UINT64_MAX - ram_base) / SZ_2M; /* in units of 2 MiB */

    if (!fixed_layout(ram_base, hi * SZ_2M, start, end, initrd_size, dtb_size, &l)) {
        uint64_t top = UINT64_MAX - ram_base, up;

        /* the rest of RAM up to the top is less than 2 MiB: it may be just what was missing */
        if (top > hi * SZ_2M && align_up(top, SZ_2M, &up) &&
            fixed_layout(ram_base, top, start, end, initrd_size, dtb_size, &l)) {
            return up;
        }
        return 0;
    }
    while (lo + 1 < hi) { /* fixed_layout is monotonic in ram_size: hi fits, lo does not */
        uint64_t mid = lo + (hi - lo) / 2;

        if (fixed_layout(ram_base, mid * SZ_2M, start, end, initrd_size, dtb_size, &l)) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    return hi * SZ_2M;
}

/* ELF segments (linked: where they are is the file's choice) or a raw binary: the plan, or a
 * one-line error with the -m that would do. */
static bool fixed_plan(const char *what, bool linked, uint64_t ram_base, uint64_t ram_size,
                       uint64_t start, uint64_t end, uint64_t entry, uint64_t initrd_size,
                       uint64_t dtb_size, Arm64BootLayout *out, GError **errp)
{
    Arm64BootLayout l;
    uint64_t ram_end = ram_base + ram_size < ram_base ? UINT64_MAX : ram_base + ram_size;

    if (fixed_layout(ram_base, ram_size, start, end, initrd_size, dtb_size, &l)) {
        l.entry = entry;
        *out = l;
        g_debug("boot plan: %s %#" PRIx64 "-%#" PRIx64 " entered at %#" PRIx64 ", initrd %#"
                PRIx64 "+%#" PRIx64 ", dtb %#" PRIx64 "+%#" PRIx64 " in RAM %#" PRIx64 "-%#"
                PRIx64, what, start, end, entry, l.initrd_addr, l.initrd_size, l.dtb_addr,
                dtb_size, ram_base, ram_end);
        return true;
    }

    g_autofree char *have = ram_size_str(ram_size);
    if (start < ram_base) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM,
                    "this %s starts at guest-physical %#" PRIx64 ", below RAM (%#" PRIx64 "-%#"
                    PRIx64 ", -m %s): link it at %#" PRIx64 " or above", what, start, ram_base,
                    ram_end, have, ram_base);
        return false;
    }
    uint64_t need = fixed_min_ram(ram_base, start, end, initrd_size, dtb_size);
    if (need && need <= ram_size) {
        /* RAM off the 2 MiB lattice, or run past the top of the address space: the least
         * lattice size above the one given, if it fits (past the top, more RAM is the same RAM) */
        Arm64BootLayout more; /* l keeps what was tried in the RAM given, for the message */
        uint64_t up;

        if (ram_size == UINT64_MAX || !align_up(ram_size + 1, SZ_2M, &up) ||
            !fixed_layout(ram_base, up, start, end, initrd_size, dtb_size, &more)) {
            g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM,
                        "this %s (%#" PRIx64 "-%#" PRIx64 ")%s and its device tree do not fit in "
                        "RAM %#" PRIx64 "-%#" PRIx64 " (-m %s), and no larger -m would fit them: "
                        "link it lower", what, start, end, initrd_size ? ", its initrd" : "",
                        ram_base, ram_end, have);
            return false;
        }
        need = up;
    }
    if (need == 0) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM,
                    "this %s (%#" PRIx64 "-%#" PRIx64 ")%s and its device tree do not fit in "
                    "any RAM from %#" PRIx64 ": link it lower", what, start, end,
                    initrd_size ? ", its initrd" : "", ram_base);
        return false;
    }
    if (end > ram_end) {
        g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM,
                    "this %s (guest-physical %#" PRIx64 "-%#" PRIx64 ", %" PRIu64 " bytes) "
                    "ends beyond RAM (%#" PRIx64 "-%#" PRIx64 ", -m %s): give -m %" PRIu64
                    "M or more%s", what, start, end, end - start, ram_base, ram_end, have,
                    need / MiB, linked ? ", or link it lower" : "");
        return false;
    }
    g_autofree char *initrd_part =
        initrd_size ? g_strdup_printf(", the initrd (%" PRIu64 " MiB) from %#" PRIx64,
                                      (initrd_size + MiB - 1) / MiB, l.initrd_addr)
                    : g_strdup("");
    g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM,
                "-m %s is too small for this %s%s: RAM %#" PRIx64 "-%#" PRIx64 " must hold it "
                "(%#" PRIx64 "-%#" PRIx64 ")%s and the device tree (%" PRIu64 " bytes; give -m %"
                PRIu64 "M or more)", have, what, initrd_size ? " and initrd" : "", ram_base,
                ram_end, start, end, initrd_part, dtb_size, need / MiB);
    return false;
}

bool arm64_kernel_plan(const Arm64Kernel *k, uint64_t ram_base, uint64_t ram_size,
                       uint64_t initrd_size, uint64_t dtb_size, Arm64BootLayout *out,
                       GError **errp)
{
    uint64_t start, end;

    switch (k->format) {
    case ARM64_KERNEL_IMAGE:
        return arm64_boot_plan(ram_base, ram_size, &k->hdr, k->image_len, initrd_size, out,
                               errp);
    case ARM64_KERNEL_ELF:
        return fixed_plan("ELF", true, ram_base, ram_size, k->elf.low, k->elf.high, k->elf.entry,
                          initrd_size, dtb_size, out, errp);
    case ARM64_KERNEL_RAW:
        if (!g_uint64_checked_add(&start, ram_base, ARM64_RAW_LOAD_OFFSET) ||
            !g_uint64_checked_add(&end, start, k->file_size)) {
            g_set_error(errp, ARM64_BOOT_ERROR, ARM64_BOOT_ERROR_NO_ROOM,
                        "RAM at %#" PRIx64 " leaves no room for a raw binary", ram_base);
            return false;
        }
        return fixed_plan("raw binary", false, ram_base, ram_size, start, end, start, initrd_size,
                          dtb_size, out, errp);
    }
    g_assert_not_reached();
}
