// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-elf: an ELF file handed to -kernel, as hw/arm/boot.c takes it apart. The input is the
 * file's content. arm64_elf_parse() reads it from memory; arm64_kernel_open() reads the same
 * bytes from a file (a memfd, by its /proc/self/fd path: format detection, the header read
 * apart from the program header table, as the board does); then arm64_kernel_plan() places it,
 * an initrd and a device tree in a handful of RAM layouts: virt's (RAM at 1 GiB, 16 MiB and
 * 512 MiB, with and without an initrd, a device tree of 2 KiB or 1 MiB), RAM at the top of the
 * address space, and one taken from the input (the section-header fields the loader does not
 * read: e_shoff is RAM's base, e_flags x 2 MiB its size, e_shentsize x 64 KiB the initrd,
 * e_shnum x 256 bytes the device tree).
 * Oracles: a parse that succeeds has at least one segment, each with p_filesz <= p_memsz, its
 * file bytes inside the input, no wrap, inside [low, high), no two overlapping, and an entry
 * point 4-byte aligned in some segment's file bytes; a refusal is one line of
 * ARM64_BOOT_ERROR_ELF and leaves nothing allocated; the file path agrees with the memory path
 * (same verdict, same segments, or a refusal of the same kind). A plan that succeeds holds
 * every segment in RAM, enters at the entry point, and puts the initrd and the device tree in
 * RAM, apart from the segments and from each other (the tree at RAM's base, or 2 MiB-aligned);
 * a plan that fails is one line of NO_ROOM, the -m it advises is more than was given and
 * works while 2 MiB less (if still more than was given) does not, and where it says no larger
 * -m would do or nothing fits in any RAM, the most RAM -m can give does not.
 */
#include "fuzz-common.h"
#include "hw/arm/boot.h"

#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MiB (UINT64_C(1024) * 1024)
#define GiB (1024 * MiB)

/* Whether [a, a + an) and [b, b + bn) share a byte (no wrap: the callers checked). */
static bool overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
    return an && bn && a < b + bn && b < a + an;
}

static void check_elf(const Arm64Elf *elf, size_t len)
{
    bool entry_found = false;

    FUZZ_CHECK(elf->nsegs >= 1 && elf->segs);
    FUZZ_CHECK(elf->low < elf->high);
    FUZZ_CHECK(elf->entry % 4 == 0);
    for (unsigned i = 0; i < elf->nsegs; i++) {
        const Arm64ElfSegment *s = &elf->segs[i];

        FUZZ_CHECK(s->memsz > 0);
        FUZZ_CHECK(s->filesz <= s->memsz);
        FUZZ_CHECK(s->offset <= len && s->filesz <= len - s->offset);
        FUZZ_CHECK(s->paddr + s->memsz > s->paddr); /* no wrap */
        FUZZ_CHECK(s->paddr >= elf->low && s->paddr + s->memsz <= elf->high);
        if (elf->entry >= s->paddr && elf->entry - s->paddr < s->filesz) {
            entry_found = true;
        }
        for (unsigned j = 0; j < i; j++) {
            FUZZ_CHECK(!overlap(s->paddr, s->memsz, elf->segs[j].paddr, elf->segs[j].memsz));
        }
    }
    FUZZ_CHECK(entry_found);
}

static void check_plan(const Arm64Kernel *k, uint64_t ram_base, uint64_t ram_size,
                       uint64_t initrd_size, uint64_t dtb_size, bool advice)
{
    Arm64BootLayout l;
    GError *err = NULL;
    uint64_t ram_end = ram_base + ram_size < ram_base ? UINT64_MAX : ram_base + ram_size;

    memset(&l, 0xa5, sizeof(l));
    if (arm64_kernel_plan(k, ram_base, ram_size, initrd_size, dtb_size, &l, &err)) {
        uint64_t dsz = MAX(dtb_size, (uint64_t)1);

        FUZZ_CHECK(err == NULL);
        FUZZ_CHECK(l.entry == k->elf.entry);
        FUZZ_CHECK(l.kernel_addr == k->elf.low && l.kernel_end == k->elf.high);
        FUZZ_CHECK(k->elf.low >= ram_base && k->elf.high <= ram_end);
        FUZZ_CHECK(l.initrd_size == initrd_size);
        if (initrd_size) {
            FUZZ_CHECK(l.initrd_addr >= ram_base);
            FUZZ_CHECK(l.initrd_addr + initrd_size > l.initrd_addr);
            FUZZ_CHECK(l.initrd_addr + initrd_size <= ram_end);
            /* RAM past the top of the address space ends there: half of what is left */
            FUZZ_CHECK(l.initrd_addr % 4096 == 0 ||
                       l.initrd_addr == ram_base + (ram_end - ram_base) / 2 ||
                       l.initrd_addr == ram_base + 128 * MiB);
            FUZZ_CHECK(!overlap(l.initrd_addr, initrd_size, l.dtb_addr, dsz));
        } else {
            FUZZ_CHECK(l.initrd_addr == 0);
        }
        FUZZ_CHECK(l.dtb_addr == ram_base || l.dtb_addr % (2 * MiB) == 0);
        FUZZ_CHECK(l.dtb_addr >= ram_base);
        FUZZ_CHECK(l.dtb_addr + dsz > l.dtb_addr && l.dtb_addr + dsz <= ram_end);
        for (unsigned i = 0; i < k->elf.nsegs; i++) {
            const Arm64ElfSegment *s = &k->elf.segs[i];

            FUZZ_CHECK(s->paddr >= ram_base && s->paddr + s->memsz <= ram_end);
            FUZZ_CHECK(!overlap(s->paddr, s->memsz, l.dtb_addr, dsz));
            FUZZ_CHECK(!overlap(s->paddr, s->memsz, l.initrd_addr, initrd_size));
        }
        return;
    }
    FUZZ_CHECK(err && err->domain == ARM64_BOOT_ERROR);
    FUZZ_CHECK(err->code == ARM64_BOOT_ERROR_NO_ROOM);
    FUZZ_CHECK(strchr(err->message, '\n') == NULL);
    fuzz_note("plan", err);
    const char *give = strstr(err->message, "give -m ");
    if (give && advice) {
        uint64_t need = g_ascii_strtoull(give + 8, NULL, 10) * MiB;
        GError *e2 = NULL;

        /* what the advice says works, and is more than was given */
        FUZZ_CHECK(need > ram_size);
        FUZZ_CHECK(arm64_kernel_plan(k, ram_base, need, initrd_size, dtb_size, &l, &e2));
        FUZZ_CHECK(need - 2 * MiB <= ram_size ||
                   !arm64_kernel_plan(k, ram_base, need - 2 * MiB, initrd_size, dtb_size, &l,
                                      &e2));
        g_clear_error(&e2);
    }
    if (strstr(err->message, "no larger -m") || strstr(err->message, "do not fit in any RAM")) {
        GError *e2 = NULL;

        /* it says so because it is so: the most RAM -m can give (a multiple of 2 MiB) does not
         * fit them either */
        FUZZ_CHECK(!arm64_kernel_plan(k, ram_base, UINT64_MAX & ~(2 * MiB - 1), initrd_size,
                                      dtb_size, &l, &e2));
        g_clear_error(&e2);
    }
    g_error_free(err);
}

static void plans(const Arm64Kernel *k, const uint8_t *buf, size_t len)
{
    static const struct {
        uint64_t base, size, initrd, dtb;
    } layouts[] = {
        { GiB, 16 * MiB, 0, 2048 },
        { GiB, 512 * MiB, 0, 2048 },
        { GiB, 512 * MiB, 20 * MiB, 2048 },
        { GiB, 64 * MiB, 1, 1 * MiB },
        { GiB, 255 * GiB, 300 * MiB, 2 * MiB },
        { 0, 0, 0, 0 },
        { UINT64_MAX - 64 * MiB, 64 * MiB, 1, 4096 },
        { UINT64_MAX - 3 * MiB, UINT64_MAX, 0, 1 },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(layouts); i++) {
        check_plan(k, layouts[i].base, layouts[i].size, layouts[i].initrd, layouts[i].dtb, true);
    }
    if (len >= 64) {
        check_plan(k, fuzz_ld_le(buf + 40, 8), fuzz_ld_le(buf + 48, 4) * 2 * MiB,
                   fuzz_ld_le(buf + 58, 2) << 16, fuzz_ld_le(buf + 60, 2) << 8, true);
    }
}

/* The same bytes as a file through arm64_kernel_open: the board's path. */
static void from_file(const uint8_t *data, size_t size, bool parsed, const Arm64Elf *elf,
                      const GError *mem_err)
{
    int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
    char path[64];
    Arm64Kernel k;
    GError *err = NULL;

    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
    g_snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    bool ok = arm64_kernel_open(path, &k, &err);
    close(fd);
    if (!ok) {
        FUZZ_CHECK(err && strchr(err->message, '\n') == NULL);
        FUZZ_CHECK(strstr(err->message, path) != NULL); /* it names the file */
        FUZZ_CHECK(k.fd == -1 && k.elf.segs == NULL);
        if (!parsed) {
            /* memory refused the ELF: the file refuses it in the same words (or is too big
             * for a kernel file, which memory does not know) */
            FUZZ_CHECK(err->code == ARM64_BOOT_ERROR_ELF || err->code == ARM64_BOOT_ERROR_TOO_BIG);
            FUZZ_CHECK(err->code != ARM64_BOOT_ERROR_ELF ||
                       strstr(err->message, mem_err->message) != NULL);
        } else {
            FUZZ_CHECK(err->code == ARM64_BOOT_ERROR_TOO_BIG);
        }
        g_error_free(err);
        return;
    }
    FUZZ_CHECK(parsed);
    FUZZ_CHECK(k.format == ARM64_KERNEL_ELF);
    FUZZ_CHECK(k.elf.nsegs == elf->nsegs && k.elf.entry == elf->entry);
    FUZZ_CHECK(k.elf.low == elf->low && k.elf.high == elf->high);
    FUZZ_CHECK(memcmp(k.elf.segs, elf->segs, sizeof(*elf->segs) * elf->nsegs) == 0);
    arm64_kernel_close(&k);
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
    Arm64Elf elf;
    GError *err = NULL;
    bool is_elf = arm64_is_elf(data, size);

    memset(&elf, 0xa5, sizeof(elf));
    bool ok = arm64_elf_parse(data, size, &elf, &err);
    if (ok) {
        Arm64Kernel k = { .fd = -1, .format = ARM64_KERNEL_ELF, .elf = elf };

        FUZZ_CHECK(is_elf && err == NULL);
        check_elf(&elf, size);
        plans(&k, data, size);
    } else {
        FUZZ_CHECK(err && err->domain == ARM64_BOOT_ERROR && err->code == ARM64_BOOT_ERROR_ELF);
        FUZZ_CHECK(strchr(err->message, '\n') == NULL);
        FUZZ_CHECK(elf.segs == NULL && elf.nsegs == 0);
        fuzz_note("parse", err);
    }
    if (is_elf) {
        from_file(data, size, ok, &elf, err);
    }
    if (err) {
        g_error_free(err);
    }
    arm64_elf_clear(&elf);
    return 0;
}
