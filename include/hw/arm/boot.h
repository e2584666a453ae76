/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What -kernel loads and where it goes in guest RAM: an arm64 Linux Image (its header, or a
 * gzip'd Image.gz; Documentation/arm64/booting.rst, kernel 6.1), an aarch64 ELF executable
 * (its PT_LOAD segments at their physical addresses; the ELF specification, elf(5)), or a raw
 * binary (anything else: its bytes at RAM base + 0x80000), and the initrd and device tree
 * around it. The formats are told apart as QEMU's -kernel does on arm: ELF magic, then the
 * Image magic (after gunzip for gzip data), then a raw binary.
 */
#ifndef ARMPASS_HW_ARM_BOOT_H
#define ARMPASS_HW_ARM_BOOT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARM64_IMAGE_MAGIC 0x644d5241u /* "ARM\x64" at byte 56, little-endian */
#define ARM64_IMAGE_HEADER_SIZE 64
/* A decompressed Image larger than this is refused (bytes). */
#define ARM64_IMAGE_MAX_SIZE (256u * 1024 * 1024)
/* booting.rst: the device tree must not exceed 2 MiB. */
#define ARM64_DTB_MAX_SIZE (2u * 1024 * 1024)

/* Errors of this file's functions; an unreadable kernel file is G_FILE_ERROR instead. */
#define ARM64_BOOT_ERROR arm64_boot_error_quark()
GQuark arm64_boot_error_quark(void);
typedef enum Arm64BootError {
    ARM64_BOOT_ERROR_FORMAT,  /* not a little-endian arm64 Image: empty, short, no magic */
    ARM64_BOOT_ERROR_GZIP,    /* corrupt or truncated gzip data */
    ARM64_BOOT_ERROR_TOO_BIG, /* file or inflated Image over the limit */
    ARM64_BOOT_ERROR_NO_ROOM, /* kernel, initrd and device tree do not fit in RAM */
    ARM64_BOOT_ERROR_ELF,     /* an ELF armpass cannot load: class, byte order, machine, type,
                               * truncated or inconsistent headers and segments */
} Arm64BootError;

/* What arm64_kernel_open found in the file. */
typedef enum Arm64KernelFormat {
    ARM64_KERNEL_IMAGE, /* an arm64 Linux Image, raw or gzip'd (Arm64Kernel.gz) */
    ARM64_KERNEL_ELF,   /* an ELF64 little-endian EM_AARCH64 ET_EXEC file */
    ARM64_KERNEL_RAW,   /* anything else: a flat binary entered at its first byte */
} Arm64KernelFormat;

/* Where a raw binary goes: bytes from the start of RAM (QEMU's KERNEL64_LOAD_ADDR on arm). */
#define ARM64_RAW_LOAD_OFFSET 0x80000u
/* The ELF header (Elf64_Ehdr) and one program header (Elf64_Phdr), bytes (elf(5)). */
#define ARM64_ELF_EHDR_SIZE 64
#define ARM64_ELF_PHDR_SIZE 56

typedef struct Arm64ImageHeader {
    uint64_t text_offset; /* bytes from a 2 MiB-aligned base */
    uint64_t image_size;  /* bytes of memory the kernel needs from its start, incl. BSS */
    uint64_t flags;       /* bit 0: big-endian; bits 1-2: page size; bit 3: placement */
} Arm64ImageHeader;

/* Where the boot pieces go: guest-physical addresses, bytes. */
typedef struct Arm64BootLayout {
    uint64_t kernel_addr; /* where the Image's (raw binary's) first byte goes; an ELF's lowest
                           * segment */
    uint64_t kernel_end;  /* the end of what the kernel occupies: an Image's image_size (or its
                           * length), a raw binary's length, an ELF's highest p_paddr+p_memsz */
    uint64_t entry;       /* where vCPU 0 starts: kernel_addr, or an ELF's entry point */
    uint64_t initrd_addr; /* 0 without an initrd */
    uint64_t initrd_size;
    uint64_t dtb_addr;    /* 8-byte aligned; an Image's has room for ARM64_DTB_MAX_SIZE */
} Arm64BootLayout;

/* One PT_LOAD segment of an ELF (elf(5), "Program header"): guest-physical, bytes. */
typedef struct Arm64ElfSegment {
    uint64_t paddr;  /* p_paddr: where its first byte goes */
    uint64_t vaddr;  /* p_vaddr: where it is linked to run (the entry point is read in it) */
    uint64_t filesz; /* p_filesz: bytes copied from the file */
    uint64_t memsz;  /* p_memsz: bytes it occupies; those past filesz are zeroed */
    uint64_t offset; /* p_offset: file offset of its first byte */
} Arm64ElfSegment;

/* An ELF executable's load plan: its segments with p_memsz > 0, in file order. */
typedef struct Arm64Elf {
    uint64_t entry;        /* guest-physical entry point (e_entry, translated from a segment's
                            * p_vaddr to its p_paddr where they differ) */
    uint64_t low, high;    /* guest-physical [low, high): from the lowest p_paddr to the
                            * highest p_paddr + p_memsz */
    Arm64ElfSegment *segs; /* g_new'd, nsegs of them */
    unsigned nsegs;
} Arm64Elf;

/*
 * Reads an arm64 Image header from buf (len bytes). Errors: too short, no "ARM\x64" magic
 * ("not an arm64 Linux Image"), a big-endian kernel. An image_size of 0 (kernels before 3.17)
 * is taken as text_offset 0x80000 and the file length rounded up to 2 MiB, as booting.rst says.
 */
bool arm64_image_parse_header(const uint8_t *buf, size_t len, Arm64ImageHeader *hdr,
                              GError **errp);

/* The same, with the Image's whole length given apart (image_len, bytes) from the bytes at
 * hand (buf, len: at least the header): the pre-3.17 image_size follows image_len. */
bool arm64_image_parse_header_sized(const uint8_t *buf, size_t len, size_t image_len,
                                    Arm64ImageHeader *hdr, GError **errp);

/* Whether buf starts with the gzip magic 1f 8b. */
bool arm64_is_gzip(const uint8_t *buf, size_t len);
/* Inflates a gzip buffer into a new GBytes. Errors: corrupt data, output over max bytes. */
GBytes *arm64_gunzip(const uint8_t *buf, size_t len, size_t max, GError **errp);

/* Inflates a gzip buffer into dst (room bytes), *out_len the bytes produced. Errors: corrupt
 * data, output over room bytes (TOO_BIG). */
bool arm64_gunzip_into(const uint8_t *buf, size_t len, uint8_t *dst, size_t room,
                       size_t *out_len, GError **errp);

/* Whether buf (len bytes) starts with the ELF magic 7f 'E' 'L' 'F' (elf(5), e_ident). */
bool arm64_is_elf(const uint8_t *buf, size_t len);

/*
 * Reads the ELF executable held whole in buf (len bytes: the file) into elf: its header
 * (Elf64_Ehdr) and program headers (Elf64_Phdr), elf(5). Accepts ELFCLASS64, ELFDATA2LSB,
 * EV_CURRENT, EM_AARCH64, ET_EXEC without PT_INTERP, with at least one PT_LOAD of p_memsz > 0;
 * each segment's file bytes inside the file, p_filesz <= p_memsz, no wrap of the address space,
 * no two segments overlapping in guest-physical space, and the entry point 4-byte aligned in a
 * segment's file bytes. Errors (ARM64_BOOT_ERROR_ELF, one line that names the problem): all of
 * those. Whether the segments lie in RAM is arm64_kernel_plan's to say. Free with
 * arm64_elf_clear.
 */
bool arm64_elf_parse(const uint8_t *buf, size_t len, Arm64Elf *elf, GError **errp);
void arm64_elf_clear(Arm64Elf *elf);

/*
 * A kernel file opened for loading straight into guest RAM, with no copy of it in armpass's
 * heap: arm64_kernel_open() finds its format and reads its headers (an Image header, inflating
 * a gzip'd file just far enough; an ELF's program headers) so that the boot plan can be made;
 * arm64_kernel_load() then reads, or inflates by zlib streaming through a 64 KiB input chunk,
 * an Image or a raw binary into its place in RAM, arm64_kernel_load_elf() an ELF's segments.
 */
typedef struct Arm64Kernel {
    char *path;
    int fd;
    Arm64KernelFormat format;
    bool gz;
    uint64_t file_size;     /* bytes in the file */
    size_t image_len;       /* bytes of the Image: raw, the file's size; gzip'd, the trailer's
                             * ISIZE until arm64_kernel_load() has inflated it (then exact) */
    Arm64ImageHeader hdr;   /* an Image's; after a gzip'd load, image_size of a pre-3.17
                             * header follows the real image_len */
    Arm64Elf elf;           /* an ELF's segments and entry point */
} Arm64Kernel;

/*
 * Opens path (a regular file of at most ARM64_IMAGE_MAX_SIZE bytes) and finds its format: ELF
 * magic -> arm64_elf_parse's checks on its headers; gzip -> an Image inside; "ARM\x64" at byte
 * 56 -> an Image; else a raw binary, unless it is recognisably something that cannot run (a
 * script, an EFI zboot image, a 32-bit arm zImage, a U-Boot uImage, fewer than 4 bytes, a first
 * instruction of 0, which is UDF). Errors name the file: unreadable, empty, too big, those.
 * Sources: elf(5); booting.rst ("Call the kernel image", the header).
 */
bool arm64_kernel_open(const char *path, Arm64Kernel *k, GError **errp);
/* Reads or inflates an Image, or reads a raw binary, into dst, which has room bytes
 * (host-virtual: guest RAM from the kernel's load address to the end of RAM). Errors: it does
 * not fit (NO_ROOM: give a larger -m), corrupt gzip, an inflated Image over
 * ARM64_IMAGE_MAX_SIZE, a read error. For a gzip'd kernel the caller re-plans with the exact
 * k->image_len and k->hdr. Not for an ELF (arm64_kernel_load_elf). */
bool arm64_kernel_load(Arm64Kernel *k, uint8_t *dst, uint64_t room, GError **errp);
/* Reads an ELF's segments into RAM: ram is host-virtual, the bytes of guest-physical
 * [ram_base, ram_base + ram_size). Each segment's p_filesz bytes are read from its p_offset to
 * ram + (p_paddr - ram_base), the rest up to p_memsz zeroed (elf(5), PT_LOAD). Errors: a
 * segment outside that RAM (NO_ROOM; arm64_kernel_plan refuses it first), a read error. */
bool arm64_kernel_load_elf(Arm64Kernel *k, uint8_t *ram, uint64_t ram_base, uint64_t ram_size,
                           GError **errp);
/* Closes the file and frees path and the ELF's segment list; what arm64_kernel_plan reads
 * (format, file_size, image_len, hdr, elf.entry/low/high) stays. Twice is harmless. */
void arm64_kernel_close(Arm64Kernel *k);

/* Opens an initrd (a regular file) and gives its size in bytes; -1 on error (the message names
 * the file: initrd "PATH": cannot read: ...). */
int arm64_initrd_open(const char *path, uint64_t *size, GError **errp);
/* Reads exactly len bytes from offset 0 of fd into dst. Errors name what and path: a read
 * error, or the file shrank since its size was taken. */
bool arm64_read_fd_into(int fd, const char *what, const char *path, uint8_t *dst, uint64_t len,
                        GError **errp);

/*
 * Reads path: a raw Image or a gzip'd Image.gz, into a new heap buffer (tests and tools; the
 * board loads straight into RAM with arm64_kernel_open/load). Returns the Image bytes and its header.
 * Errors: unreadable file (with errno text), not an arm64 Image (an ELF or a raw binary too:
 * this reads Linux Images only), corrupt gzip. Each message names the file.
 */
GBytes *arm64_load_kernel(const char *path, Arm64ImageHeader *hdr, GError **errp);

/*
 * Plans placement in RAM [ram_base, ram_base + ram_size): the kernel at a 2 MiB-aligned base +
 * text_offset, the initrd after the kernel's image_size, the device tree after that.
 * Errors: they do not fit ("-m is too small for this kernel and initrd: need N MiB").
 */
bool arm64_boot_plan(uint64_t ram_base, uint64_t ram_size, const Arm64ImageHeader *hdr,
                     size_t image_len, uint64_t initrd_size, Arm64BootLayout *out,
                     GError **errp);

/*
 * Plans any opened kernel in RAM [ram_base, ram_base + ram_size) (guest-physical, bytes), with
 * an initrd of initrd_size bytes (0: none) and a device tree of dtb_size bytes:
 * - an Image: arm64_boot_plan (the device tree gets its 2 MiB whatever dtb_size says);
 * - an ELF: its segments where they are linked (p_paddr), each of them inside RAM; entered at
 *   its entry point;
 * - a raw binary: at ram_base + ARM64_RAW_LOAD_OFFSET, entered there.
 * For the last two (QEMU's placement for such images, armpass's choice for the initrd): the
 * initrd at ram_base + min(ram_size / 2, 128 MiB), or 2 MiB-aligned after the kernel if that
 * is higher; the device tree at ram_base when dtb_size bytes fit below the kernel, else
 * 2 MiB-aligned after the kernel and the initrd. The initrd's place does not depend on
 * dtb_size: a board may plan with a guess, build the tree (which names the initrd), then plan
 * again with the tree's size. Errors (NO_ROOM, one line, what to do): a segment outside RAM, a
 * raw binary longer than RAM from its load address, the initrd or device tree do not fit.
 * Sources: booting.rst for an Image; for the others, what QEMU's -kernel does on arm, measured
 * and written down in docs/user-guide.md ("Booting"), where armpass differs too.
 */
bool arm64_kernel_plan(const Arm64Kernel *k, uint64_t ram_base, uint64_t ram_size,
                       uint64_t initrd_size, uint64_t dtb_size, Arm64BootLayout *out,
                       GError **errp);

#endif
