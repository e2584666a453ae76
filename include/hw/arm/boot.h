/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Booting an arm64 Linux kernel: the Image header, gzip'd Image.gz, and where kernel, initrd
 * and device tree go in guest RAM. Source: Documentation/arm64/booting.rst (kernel 6.1).
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
} Arm64BootError;

typedef struct Arm64ImageHeader {
    uint64_t text_offset; /* bytes from a 2 MiB-aligned base */
    uint64_t image_size;  /* bytes of memory the kernel needs from its start, incl. BSS */
    uint64_t flags;       /* bit 0: big-endian; bits 1-2: page size; bit 3: placement */
} Arm64ImageHeader;

/* Where the boot pieces go: guest-physical addresses, bytes. */
typedef struct Arm64BootLayout {
    uint64_t kernel_addr; /* where the Image's first byte goes = the entry point */
    uint64_t initrd_addr; /* 0 without an initrd */
    uint64_t initrd_size;
    uint64_t dtb_addr;    /* 8-byte aligned, room for ARM64_DTB_MAX_SIZE */
} Arm64BootLayout;

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

/*
 * A kernel file opened for loading straight into guest RAM, with no copy of it in armpass's
 * heap: arm64_kernel_open() reads the Image header (inflating a gzip'd file just far enough)
 * so that the boot plan can be made; arm64_kernel_load() then reads, or inflates by zlib
 * streaming through a 64 KiB input chunk, the whole Image into its place in RAM.
 */
typedef struct Arm64Kernel {
    char *path;
    int fd;
    bool gz;
    uint64_t file_size;     /* bytes in the file */
    size_t image_len;       /* bytes of the Image: raw, the file's size; gzip'd, the trailer's
                             * ISIZE until arm64_kernel_load() has inflated it (then exact) */
    Arm64ImageHeader hdr;   /* after a gzip'd load, image_size of a pre-3.17 header follows
                             * the real image_len */
} Arm64Kernel;

/* Opens path (a regular file) and reads its Image header. Errors: as arm64_load_kernel. */
bool arm64_kernel_open(const char *path, Arm64Kernel *k, GError **errp);
/* Reads or inflates the Image into dst, which has room bytes (host-virtual: guest RAM from the
 * kernel's load address to the end of RAM). Errors: it does not fit (NO_ROOM: give a larger
 * -m), corrupt gzip, an inflated Image over ARM64_IMAGE_MAX_SIZE, a read error. For a gzip'd
 * kernel the caller re-plans with the exact k->image_len and k->hdr. */
bool arm64_kernel_load(Arm64Kernel *k, uint8_t *dst, uint64_t room, GError **errp);
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
 * Errors: unreadable file (with errno text), not an arm64 Image, corrupt gzip.
 * Each message names the file.
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

#endif
