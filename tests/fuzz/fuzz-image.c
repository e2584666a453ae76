// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-image: what -kernel reads, as hw/arm/boot.c takes it apart. The input is the kernel
 * file's content: arm64_is_gzip() decides whether arm64_gunzip() inflates it first (at most
 * 1 MiB here, so that a gzip bomb costs little; the limit itself is what is under test, not
 * its size), then arm64_image_parse_header() reads the Image header and arm64_boot_plan()
 * places kernel, initrd and device tree for a handful of RAM layouts: virt's (RAM at 1 GiB,
 * 16 MiB and 512 MiB, with and without an initrd), RAM at the top of the address space, and
 * one taken from the input (the header's reserved words res2, res3 and res4 at bytes 32-55,
 * which the parser does not read, give RAM base, RAM size and initrd size).
 * arm64_gunzip_into() (what the board does: inflate straight into guest RAM) inflates the same
 * input into a fixed buffer of the limit's size.
 * Oracles: gunzip's output is never over the limit; gunzip_into agrees with gunzip (same bytes,
 * or an error of the same kind); a header that parses has image_size
 * non-zero and bit 0 of flags clear; a plan that succeeds lies in RAM: kernel at a 2 MiB-
 * aligned base + text_offset, the initrd after the kernel's extent, the device tree 2 MiB-
 * aligned after that with its 2 MiB inside RAM; a plan that fails says how much -m it needs,
 * and that is more than the RAM given.
 */
#include "fuzz-common.h"
#include "hw/arm/boot.h"

#include <inttypes.h>
#include <string.h>

#define MiB (UINT64_C(1024) * 1024)
#define GiB (1024 * MiB)
#define SZ_2M (2 * MiB)
#define GUNZIP_MAX (1024 * 1024)

static void check_plan(uint64_t ram_base, uint64_t ram_size, const Arm64ImageHeader *hdr,
                       size_t image_len, uint64_t initrd_size)
{
    Arm64BootLayout l;
    GError *err = NULL;
    uint64_t ram_end = ram_base + ram_size < ram_base ? UINT64_MAX : ram_base + ram_size;
    uint64_t span = MAX(hdr->image_size, (uint64_t)image_len);

    memset(&l, 0xa5, sizeof(l));
    if (arm64_boot_plan(ram_base, ram_size, hdr, image_len, initrd_size, &l, &err)) {
        FUZZ_CHECK(err == NULL);
        FUZZ_CHECK(l.kernel_addr >= ram_base);
        FUZZ_CHECK((l.kernel_addr - hdr->text_offset) % SZ_2M == 0);
        FUZZ_CHECK(l.kernel_addr - hdr->text_offset >= ram_base);
        FUZZ_CHECK(l.kernel_addr + span >= l.kernel_addr); /* no wrap */
        FUZZ_CHECK(l.initrd_size == initrd_size);
        if (initrd_size) {
            FUZZ_CHECK(l.initrd_addr >= l.kernel_addr + span);
            FUZZ_CHECK(l.initrd_addr + initrd_size >= l.initrd_addr);
            FUZZ_CHECK(l.dtb_addr >= l.initrd_addr + initrd_size);
        } else {
            FUZZ_CHECK(l.initrd_addr == 0);
            FUZZ_CHECK(l.dtb_addr >= l.kernel_addr + span);
        }
        FUZZ_CHECK(l.dtb_addr % SZ_2M == 0);
        FUZZ_CHECK(l.dtb_addr + ARM64_DTB_MAX_SIZE > l.dtb_addr);
        FUZZ_CHECK(l.dtb_addr + ARM64_DTB_MAX_SIZE <= ram_end);
    } else {
        const char *give;

        FUZZ_CHECK(err && err->domain == ARM64_BOOT_ERROR);
        FUZZ_CHECK(err->code == ARM64_BOOT_ERROR_NO_ROOM);
        FUZZ_CHECK(strchr(err->message, '\n') == NULL);
        give = strstr(err->message, "give -m ");
        if (give) {
            uint64_t need = g_ascii_strtoull(give + 8, NULL, 10);

            /* the advice must be more than what was given */
            FUZZ_CHECK(need > 0);
            FUZZ_CHECK(need > UINT64_MAX / MiB || need * MiB > ram_size);
        }
        g_error_free(err);
    }
}

static void plans(const uint8_t *image, size_t len, const Arm64ImageHeader *hdr)
{
    static const struct {
        uint64_t base, size, initrd;
    } layouts[] = {
        { GiB, 16 * MiB, 0 },
        { GiB, 512 * MiB, 0 },
        { GiB, 512 * MiB, 20 * MiB },
        { GiB, 255 * GiB, 0 },
        { 0, 0, 0 },
        { UINT64_MAX - 64 * MiB, 64 * MiB, 1 },
        { UINT64_MAX - 3 * MiB, UINT64_MAX, 0 },
        { GiB + 1, 512 * MiB, UINT64_MAX },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(layouts); i++) {
        check_plan(layouts[i].base, layouts[i].size, hdr, len, layouts[i].initrd);
    }
    check_plan(fuzz_ld_le(image + 32, 8), fuzz_ld_le(image + 40, 8), hdr, len,
               fuzz_ld_le(image + 48, 8));
}

static void image(const uint8_t *buf, size_t len)
{
    Arm64ImageHeader hdr;
    GError *err = NULL;

    memset(&hdr, 0xa5, sizeof(hdr));
    if (!arm64_image_parse_header(buf, len, &hdr, &err)) {
        FUZZ_CHECK(err && err->domain == ARM64_BOOT_ERROR);
        FUZZ_CHECK(err->code == ARM64_BOOT_ERROR_FORMAT);
        FUZZ_CHECK(strchr(err->message, '\n') == NULL);
        g_error_free(err);
        return;
    }
    FUZZ_CHECK(err == NULL);
    FUZZ_CHECK(len >= ARM64_IMAGE_HEADER_SIZE);
    FUZZ_CHECK(hdr.image_size != 0);
    FUZZ_CHECK(!(hdr.flags & 1));
    plans(buf, len, &hdr);
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
    if (arm64_is_gzip(data, size)) {
        GError *err = NULL;
        GBytes *out = arm64_gunzip(data, size, GUNZIP_MAX, &err);
        static uint8_t into[GUNZIP_MAX];
        GError *err2 = NULL;
        size_t into_len = 0;
        bool ok2 = arm64_gunzip_into(data, size, into, sizeof(into), &into_len, &err2);

        FUZZ_CHECK((out != NULL) == (err == NULL));
        FUZZ_CHECK(ok2 == (out != NULL));
        FUZZ_CHECK(ok2 == (err2 == NULL));
        if (ok2) {
            FUZZ_CHECK(into_len == g_bytes_get_size(out));
            FUZZ_CHECK(memcmp(into, g_bytes_get_data(out, NULL), into_len) == 0);
        } else {
            FUZZ_CHECK(err2->domain == ARM64_BOOT_ERROR && err2->code == err->code);
            g_error_free(err2);
        }
        if (out) {
            size_t len;
            const uint8_t *p = g_bytes_get_data(out, &len);

            FUZZ_CHECK(len <= GUNZIP_MAX);
            image(p, len);
            g_bytes_unref(out);
        } else {
            FUZZ_CHECK(err->domain == ARM64_BOOT_ERROR);
            FUZZ_CHECK(err->code == ARM64_BOOT_ERROR_GZIP || err->code == ARM64_BOOT_ERROR_TOO_BIG);
            g_error_free(err);
        }
    } else {
        FUZZ_CHECK(size < 2 || data[0] != 0x1f || data[1] != 0x8b);
    }
    /* the header parser also sees the raw bytes, gzip or not */
    image(data, size);
    return 0;
}
