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

/* Whether buf starts with the gzip magic 1f 8b. */
bool arm64_is_gzip(const uint8_t *buf, size_t len);
/* Inflates a gzip buffer into a new GBytes. Errors: corrupt data, output over max bytes. */
GBytes *arm64_gunzip(const uint8_t *buf, size_t len, size_t max, GError **errp);

/*
 * Reads path: a raw Image or a gzip'd Image.gz. Returns the Image bytes and its header.
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
