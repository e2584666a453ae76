// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the armpass binary's command line as a user meets it: every bad input gives
 * one line on stderr that names the problem, a non-zero exit, and no guest. dumpdtb writes a
 * tree that reads back. No /dev access: all of these stop before KVM, but the one that checks
 * the "needs an aarch64 host with KVM" message, which runs only where /dev/kvm is missing.
 */
#include "hw/arm/boot.h"

#include <glib/gstdio.h>
#include <libfdt.h>
#include <string.h>
#include <zlib.h>

static const char *armpass_path;
static char *tmpdir;

typedef struct Run {
    int status;
    char *out;
    char *err;
} Run;

static void run_clear(Run *r)
{
    g_free(r->out);
    g_free(r->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Run, run_clear)

/* Runs armpass with a NULL-terminated list of arguments. */
static void run(Run *r, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    va_list ap;
    const char *a;
    int wait;

    g_ptr_array_add(argv, (char *)armpass_path);
    va_start(ap, r);
    while ((a = va_arg(ap, const char *))) {
        g_ptr_array_add(argv, (char *)a);
    }
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_STDIN_FROM_DEV_NULL,
                               NULL, NULL, &r->out, &r->err, &wait, &err));
    g_assert_no_error(err);
    r->status = WIFEXITED(wait) ? WEXITSTATUS(wait) : 128 + WTERMSIG(wait);
}

/* The user sees exactly one line, containing want, and exit status 1. */
static void assert_one_line_error(const Run *r, const char *want)
{
    g_test_message("stderr: %s", r->err);
    g_assert_cmpint(r->status, ==, 1);
    g_assert_true(g_str_has_prefix(r->err, "armpass: "));
    g_assert_nonnull(strstr(r->err, want));
    g_assert_cmpint(strchr(r->err, '\n') - r->err, ==, (long)strlen(r->err) - 1);
}

/* A file with a valid arm64 Image header that asks for image_size bytes. */
static char *fake_image(uint64_t image_size)
{
    uint8_t hdr[4096] = { 0 };
    uint64_t v = GUINT64_TO_LE(image_size);
    uint32_t magic = GUINT32_TO_LE(ARM64_IMAGE_MAGIC);
    char *path = g_build_filename(tmpdir, "Image", NULL);

    memcpy(hdr + 16, &v, 8);
    memcpy(hdr + 56, &magic, 4);
    g_assert_true(g_file_set_contents(path, (char *)hdr, sizeof(hdr), NULL));
    return path;
}

static void test_help_version(void)
{
    g_auto(Run) h = { 0 };
    g_auto(Run) v = { 0 };
    run(&h, "--help", NULL);
    g_assert_cmpint(h.status, ==, 0);
    g_assert_nonnull(strstr(h.out, "-kernel"));
    g_assert_nonnull(strstr(h.out, "-device"));
    run(&v, "--version", NULL);
    g_assert_cmpint(v.status, ==, 0);
    g_assert_true(g_str_has_prefix(v.out, "armpass "));
}

static void test_missing_kernel(void)
{
    g_auto(Run) r = { 0 };
    run(&r, "-kernel", "/nonexistent/Image", NULL);
    assert_one_line_error(&r, "/nonexistent/Image");
    g_assert_nonnull(strstr(r.err, "No such file"));
}

static void test_no_kernel(void)
{
    g_auto(Run) r = { 0 };
    run(&r, "-m", "256M", NULL);
    assert_one_line_error(&r, "-kernel");
}

static void test_not_an_image(void)
{
    g_autofree char *path = g_build_filename(tmpdir, "notimage", NULL);
    g_auto(Run) r = { 0 };
    g_assert_true(g_file_set_contents(path, "#!/bin/sh\n# a shell script handed over by mistake, longer than an Image header\necho hello\n", -1, NULL));
    run(&r, "-kernel", path, NULL);
    assert_one_line_error(&r, "a script (it starts with \"#!\"), not a program for the guest");
}

static void test_memory_too_small(void)
{
    g_autofree char *img = fake_image(64 << 20);
    g_auto(Run) small = { 0 };
    g_auto(Run) bad = { 0 };
    g_auto(Run) fits = { 0 };
    run(&small, "-kernel", img, "-m", "32M", NULL);
    assert_one_line_error(&small, "too small");
    run(&bad, "-kernel", img, "-m", "lots", NULL);
    assert_one_line_error(&bad, "-m");
    /* Under the board's minimum. */
    run(&fits, "-kernel", img, "-m", "1M", NULL);
    assert_one_line_error(&fits, "-m");
}

static void test_bad_dtb(void)
{
    g_autofree char *img = fake_image(1 << 20);
    g_autofree char *dtb = g_build_filename(tmpdir, "garbage.dtb", NULL);
    g_auto(Run) r = { 0 };
    g_assert_true(g_file_set_contents(dtb, "not a device tree at all", -1, NULL));
    run(&r, "-kernel", img, "-dtb", dtb, NULL);
    assert_one_line_error(&r, "-dtb");
    g_assert_nonnull(strstr(r.err, "dtc"));
}

static void test_unknown_device(void)
{
    g_auto(Run) r = { 0 };
    g_auto(Run) p = { 0 };
    /* Checked before the kernel is read: the device error is the one shown. */
    run(&r, "-kernel", "/nonexistent", "-device", "frobnicator", NULL);
    assert_one_line_error(&r, "frobnicator");
    g_assert_nonnull(strstr(r.err, "-device help"));
    run(&p, "-kernel", "/nonexistent", "-device", "pl011,colour=blue", NULL);
    assert_one_line_error(&p, "colour");
}

/* id= (every device): malformed, or taken by an earlier -device. Checked before the kernel. */
static void test_device_ids(void)
{
    g_auto(Run) r = { 0 };
    g_auto(Run) p = { 0 };

    run(&r, "-kernel", "/nonexistent", "-device", "pcie-root-port,id=rp0", "-device",
        "pcie-root-port,id=rp0", NULL);
    assert_one_line_error(&r, "id=rp0 is taken");
    run(&p, "-kernel", "/nonexistent", "-device", "pcie-root-port,id=0rp", NULL);
    assert_one_line_error(&p, "id=0rp: give a name that starts with a letter");
}

static void test_malformed_options(void)
{
    g_auto(Run) a = { 0 };
    g_auto(Run) b = { 0 };
    g_auto(Run) c = { 0 };
    run(&a, "-smp", "many", NULL);
    assert_one_line_error(&a, "-smp");
    run(&b, "-M", "virt,gic-version=7", NULL);
    assert_one_line_error(&b, "gic-version");
    run(&c, "-frobnicate", NULL);
    assert_one_line_error(&c, "-frobnicate");
}

static void test_overlapping_region(void)
{
    g_autofree char *dtb = g_build_filename(tmpdir, "overlap.dtb", NULL);
    g_autofree char *m = g_strdup_printf("virt,dumpdtb=%s", dtb);
    g_auto(Run) r = { 0 };
    /* A second UART placed on top of the console UART. */
    run(&r, "-M", m, "-device", "pl011,mmio-base=0x9000000", NULL);
    assert_one_line_error(&r, "overlaps");
    g_assert_false(g_file_test(dtb, G_FILE_TEST_EXISTS));
}

static void test_dumpdtb(void)
{
    g_autofree char *dtb = g_build_filename(tmpdir, "virt.dtb", NULL);
    g_autofree char *m = g_strdup_printf("virt,gic-version=3,dumpdtb=%s", dtb);
    g_autofree char *data = NULL;
    gsize len;
    g_auto(Run) r = { 0 };

    run(&r, "-M", m, "-smp", "3", "-m", "1G", "-append", "console=ttyAMA0",
        "-device", "pl011", NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_true(g_file_get_contents(dtb, &data, &len, NULL));
    g_assert_cmpint(fdt_check_header(data), ==, 0);
    g_assert_cmpint(fdt_path_offset(data, "/cpus/cpu@2"), >=, 0);
    g_assert_cmpint(fdt_path_offset(data, "/pl011@c000000"), >=, 0);
    /* no PCI device, no PCIe host bridge */
    g_assert_cmpint(fdt_path_offset(data, "/pcie@3f000000"), <, 0);
    g_assert_cmpstr(fdt_getprop(data, fdt_path_offset(data, "/chosen"), "bootargs", NULL), ==,
                    "console=ttyAMA0");
}

/* -cpu as a user meets it: the help lists the models and switches (status 0); a model or a
 * switch armpass does not have is one line and status 1; dumpdtb (no KVM needed) has the PMU
 * node unless pmu=off. */
static void test_cpu(void)
{
    g_autofree char *dtb = g_build_filename(tmpdir, "cpu.dtb", NULL);
    g_autofree char *m = g_strdup_printf("virt,gic-version=3,dumpdtb=%s", dtb);
    g_autofree char *data = NULL;
    g_auto(Run) h = { 0 };
    g_auto(Run) bad = { 0 };
    g_auto(Run) sw = { 0 };
    g_auto(Run) on = { 0 };
    g_auto(Run) off = { 0 };

    run(&h, "-cpu", "help", NULL);
    g_assert_cmpint(h.status, ==, 0);
    g_assert_nonnull(strstr(h.out, "host"));
    g_assert_nonnull(strstr(h.out, "pmu=on|off"));
    g_assert_nonnull(strstr(h.out, "sveN=on|off"));
    g_assert_nonnull(strstr(h.out, "pauth=on|off"));
    run(&bad, "-cpu", "cortex-a72", NULL);
    assert_one_line_error(&bad, "unknown CPU model \"cortex-a72\"");
    run(&sw, "-cpu", "host,sve=off,sve512=on", NULL);
    assert_one_line_error(&sw, "sve=off and sve512=on contradict");

    run(&on, "-M", m, "-cpu", "max", NULL);
    g_assert_cmpint(on.status, ==, 0);
    g_assert_true(g_file_get_contents(dtb, &data, NULL, NULL));
    g_assert_cmpstr(fdt_getprop(data, fdt_path_offset(data, "/pmu"), "compatible", NULL), ==,
                    "arm,armv8-pmuv3");
    g_clear_pointer(&data, g_free);
    run(&off, "-M", m, "-cpu", "host,pmu=off", NULL);
    g_assert_cmpint(off.status, ==, 0);
    g_assert_true(g_file_get_contents(dtb, &data, NULL, NULL));
    g_assert_cmpint(fdt_path_offset(data, "/pmu"), <, 0);
}

/* Appends len bytes of an Image (a pre-3.17 header: image_size 0, then a body) to path as a
 * new gzip member. */
static void gz_member(const char *path, const char *mode, size_t from, size_t len)
{
    gzFile gz = gzopen(path, mode);
    g_assert_nonnull(gz);
    for (size_t i = from; i < from + len; i++) {
        uint8_t b = (uint8_t)(i * 13 + (i >> 11));
        if (i == 56) {
            b = 'A';
        } else if (i == 57) {
            b = 'R';
        } else if (i == 58) {
            b = 'M';
        } else if (i == 59) {
            b = 0x64;
        } else if (i < 64) {
            b = 0;
        }
        g_assert_cmpint(gzwrite(gz, &b, 1), ==, 1);
    }
    g_assert_cmpint(gzclose(gz), ==, Z_OK);
}

/*
 * dumpdtb with a gzip'd kernel and an initrd: the tree's initrd range is where the board
 * puts it, planned from the Image's exact length. The kernel is a pre-3.17 Image of 5 MiB in
 * two gzip members, so the trailer's ISIZE (the last member's, 1 MiB) understates it: the
 * first plan (image_size 2 MiB) would put the initrd at 0x40400000; once the Image is inflated
 * into RAM its 5 MiB make image_size 6 MiB, so the kernel (at 0x40080000) ends at 0x40680000
 * and the initrd goes at 0x40800000.
 */
static void test_dumpdtb_gzip_kernel_initrd(void)
{
    g_autofree char *dtb = g_build_filename(tmpdir, "gz.dtb", NULL);
    g_autofree char *kernel = g_build_filename(tmpdir, "Image.gz", NULL);
    g_autofree char *initrd = g_build_filename(tmpdir, "initrd", NULL);
    g_autofree char *m = g_strdup_printf("virt,dumpdtb=%s", dtb);
    g_autofree char *blob = g_malloc0(1536 * 1024);
    g_autofree char *data = NULL;
    g_auto(Run) r = { 0 };
    gsize len;
    int lenp;

    gz_member(kernel, "wb", 0, 4 << 20);
    gz_member(kernel, "ab", 4 << 20, 1 << 20);
    g_assert_true(g_file_set_contents(initrd, blob, 1536 * 1024, NULL));
    run(&r, "-M", m, "-m", "64M", "-kernel", kernel, "-initrd", initrd, NULL);
    g_test_message("stderr: %s", r.err);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_true(g_file_get_contents(dtb, &data, &len, NULL));
    int chosen = fdt_path_offset(data, "/chosen");
    g_assert_cmpint(chosen, >=, 0);
    const fdt64_t *start = fdt_getprop(data, chosen, "linux,initrd-start", &lenp);
    g_assert_nonnull(start);
    g_assert_cmpint(lenp, ==, 8);
    const fdt64_t *end = fdt_getprop(data, chosen, "linux,initrd-end", &lenp);
    g_assert_nonnull(end);
    fdt64_t start_v, end_v; /* the properties are 4-byte aligned in the blob, not 8 */
    memcpy(&start_v, start, sizeof(start_v));
    memcpy(&end_v, end, sizeof(end_v));
    g_assert_cmphex(fdt64_to_cpu(start_v), ==, 0x40800000);
    g_assert_cmphex(fdt64_to_cpu(end_v), ==, 0x40800000 + 1536 * 1024);

    /* With a 6.5 MiB initrd the first plan fits 16 MiB (the dtb ends at 14 MiB), the exact
     * one does not (18 MiB): the second plan, made once the Image is inflated, says so. */
    g_autofree char *big = g_malloc0(6656 * 1024);
    g_assert_true(g_file_set_contents(initrd, big, 6656 * 1024, NULL));
    g_auto(Run) small = { 0 };
    run(&small, "-M", m, "-m", "16M", "-kernel", kernel, "-initrd", initrd, NULL);
    assert_one_line_error(&small, "-m 16M is too small for this kernel and initrd: they need at "
                          "least 18 MiB");
}

/* An aarch64 ET_EXEC ELF at path: one PT_LOAD of 4 KiB of code (a NOP sled) at paddr, 64 KiB
 * in memory, entered at its start; machine: its e_machine. */
static void fake_elf(const char *path, uint64_t paddr, uint16_t machine)
{
    uint8_t e[8192] = { 0 };
    uint64_t v;

    memcpy(e, "\x7f" "ELF\x02\x01\x01", 7);
    e[16] = 2;                          /* ET_EXEC */
    memcpy(e + 18, &machine, 2);        /* little-endian host */
    e[20] = 1;
    memcpy(e + 24, &paddr, 8);          /* e_entry */
    e[32] = 64;                         /* e_phoff */
    e[52] = 64;
    e[54] = 56;
    e[56] = 1;
    e[64] = 1;                          /* PT_LOAD */
    e[68] = 5;
    v = 4096;
    memcpy(e + 64 + 8, &v, 8);          /* p_offset */
    memcpy(e + 64 + 16, &paddr, 8);
    memcpy(e + 64 + 24, &paddr, 8);
    memcpy(e + 64 + 32, &v, 8);         /* p_filesz */
    v = 65536;
    memcpy(e + 64 + 40, &v, 8);         /* p_memsz */
    for (int i = 4096; i < 8192; i += 4) {
        uint32_t nop = GUINT32_TO_LE(0xd503201f);
        memcpy(e + i, &nop, 4);
    }
    g_assert_true(g_file_set_contents(path, (char *)e, sizeof(e), NULL));
}

/* The initrd range the tree that dumpdtb wrote names. */
static void dtb_initrd(const char *dtb, uint64_t *start, uint64_t *end)
{
    g_autofree char *data = NULL;
    gsize len;
    int lenp;
    fdt64_t v;

    g_assert_true(g_file_get_contents(dtb, &data, &len, NULL));
    int chosen = fdt_path_offset(data, "/chosen");
    g_assert_cmpint(chosen, >=, 0);
    const void *p = fdt_getprop(data, chosen, "linux,initrd-start", &lenp);
    g_assert_nonnull(p);
    memcpy(&v, p, 8);
    *start = fdt64_to_cpu(v);
    p = fdt_getprop(data, chosen, "linux,initrd-end", &lenp);
    g_assert_nonnull(p);
    memcpy(&v, p, 8);
    *end = fdt64_to_cpu(v);
}

/*
 * -kernel with an ELF and with a raw binary: what cannot be loaded is one line before anything
 * starts; what can is planned as docs/user-guide.md ("Booting") says, which dumpdtb shows (the
 * initrd's range in the tree; with -d debug the last plan's device tree address, made with the
 * built tree's size).
 */
static void test_elf_and_raw(void)
{
    g_autofree char *elf = g_build_filename(tmpdir, "hello.elf", NULL);
    g_autofree char *x86 = g_build_filename(tmpdir, "x86.elf", NULL);
    g_autofree char *high = g_build_filename(tmpdir, "high.elf", NULL);
    g_autofree char *raw = g_build_filename(tmpdir, "hello.bin", NULL);
    g_autofree char *initrd = g_build_filename(tmpdir, "elf-initrd", NULL);
    g_autofree char *dtb = g_build_filename(tmpdir, "elf.dtb", NULL);
    g_autofree char *m = g_strdup_printf("virt,dumpdtb=%s", dtb);
    g_autofree char *big = g_malloc(20 << 20);
    uint64_t start, end;

    fake_elf(elf, 0x40200000, 183);
    fake_elf(x86, 0x40200000, 62);
    fake_elf(high, 0x80000000, 183);
    g_assert_true(g_file_set_contents(initrd, "070701", 6, NULL));
    memset(big, 0x1f, 20 << 20);        /* not 0, no known format: a raw binary */
    g_assert_true(g_file_set_contents(raw, big, 20 << 20, NULL));

    g_auto(Run) a = { 0 };
    run(&a, "-kernel", x86, "-m", "64M", NULL);
    assert_one_line_error(&a, "an ELF for another architecture: x86-64 (e_machine 62)");
    g_auto(Run) b = { 0 };
    run(&b, "-kernel", high, "-m", "64M", NULL);
    assert_one_line_error(&b, "this ELF (guest-physical 0x80000000-0x80010000, 65536 bytes) "
                          "ends beyond RAM (0x40000000-0x44000000, -m 64M): give -m 1026M or "
                          "more, or link it lower");
    g_auto(Run) c = { 0 };
    run(&c, "-kernel", raw, "-m", "16M", NULL);
    assert_one_line_error(&c, "this raw binary (guest-physical 0x40080000-0x41480000");
    g_assert_nonnull(strstr(c.err, "give -m 22M or more"));
    g_auto(Run) d = { 0 };
    run(&d, "-kernel", elf, "-m", "16M", "-initrd", raw, NULL);
    assert_one_line_error(&d, "-m 16M is too small for this ELF and initrd");

    /* ELF + initrd: the initrd at half of 64 MiB (QEMU's place), the tree below the ELF. */
    g_auto(Run) e = { 0 };
    run(&e, "-M", m, "-m", "64M", "-kernel", elf, "-initrd", initrd, "-d", "debug", NULL);
    g_test_message("stderr: %s", e.err);
    g_assert_cmpint(e.status, ==, 0);
    dtb_initrd(dtb, &start, &end);
    g_assert_cmphex(start, ==, 0x42000000);
    g_assert_cmphex(end, ==, 0x42000000 + 6);
    g_assert_nonnull(strstr(e.err, "boot plan: ELF 0x40200000-0x40210000 entered at "
                            "0x40200000, initrd 0x42000000+0x6, dtb 0x40000000+"));

    /* A raw binary + initrd in 512 MiB: the initrd 128 MiB in, the tree at the start of RAM. */
    g_auto(Run) f = { 0 };
    run(&f, "-M", m, "-m", "512M", "-kernel", raw, "-initrd", initrd, "-d", "debug", NULL);
    g_test_message("stderr: %s", f.err);
    g_assert_cmpint(f.status, ==, 0);
    dtb_initrd(dtb, &start, &end);
    g_assert_cmphex(start, ==, 0x48000000);
    g_assert_nonnull(strstr(f.err, "boot plan: raw binary 0x40080000-0x41480000 entered at "
                            "0x40080000, initrd 0x48000000+0x6, dtb 0x40000000+"));

    /* An ELF 1 KiB above the start of RAM: the first plan's guess at the tree's size (1 KiB)
     * fits below it, the tree (about 2 KiB) does not: the last plan, made with its size, puts
     * it 2 MiB-aligned after the ELF. */
    g_autofree char *low = g_build_filename(tmpdir, "low.elf", NULL);
    fake_elf(low, 0x40000400, 183);
    g_auto(Run) g = { 0 };
    run(&g, "-M", m, "-m", "64M", "-kernel", low, "-d", "debug", NULL);
    g_assert_cmpint(g.status, ==, 0);
    const char *first = strstr(g.err, "boot plan: ELF");
    const char *last = g_strrstr(g.err, "boot plan: ELF");
    g_assert_nonnull(first);
    g_assert_true(last > first);
    g_assert_true(g_str_has_prefix(first, "boot plan: ELF 0x40000400-0x40010400 entered at "
                                   "0x40000400, initrd 0+0, dtb 0x40000000+0x400 "));
    g_assert_true(g_str_has_prefix(last, "boot plan: ELF 0x40000400-0x40010400 entered at "
                                   "0x40000400, initrd 0+0, dtb 0x40200000+"));
}

/*
 * tests/progs' bare-metal program as the toolchain built it ($BAREMETAL_DIR; skipped without):
 * the ELF is planned at its link address with the device tree at the start of RAM, its
 * objcopy -O binary at RAM + 0x80000 with the tree there too; both entered at their start.
 */
static void test_baremetal(void)
{
    const char *dir = g_getenv("BAREMETAL_DIR");
    g_autofree char *dtb = g_build_filename(tmpdir, "bm.dtb", NULL);
    g_autofree char *m = g_strdup_printf("virt,dumpdtb=%s", dtb);

    if (!dir) {
        g_test_skip("no BAREMETAL_DIR (tests/progs builds it with an aarch64 toolchain)");
        return;
    }
    g_autofree char *elf = g_build_filename(dir, "baremetal-hello.elf", NULL);
    g_autofree char *bin = g_build_filename(dir, "baremetal-hello.bin", NULL);
    g_auto(Run) e = { 0 };
    run(&e, "-M", m, "-m", "128M", "-kernel", elf, "-d", "debug", NULL);
    g_test_message("stderr: %s", e.err);
    g_assert_cmpint(e.status, ==, 0);
    const char *last = g_strrstr(e.err, "boot plan: ");
    g_assert_nonnull(last);
    g_assert_true(g_str_has_prefix(last, "boot plan: ELF 0x40200000-0x40211008 entered at "
                                   "0x40200000, initrd 0+0, dtb 0x40000000+"));
    g_auto(Run) b = { 0 };
    run(&b, "-M", m, "-m", "128M", "-kernel", bin, "-d", "debug", NULL);
    g_assert_cmpint(b.status, ==, 0);
    last = g_strrstr(b.err, "boot plan: ");
    g_assert_nonnull(last);
    g_assert_true(g_str_has_prefix(last, "boot plan: raw binary 0x40080000-0x40090008 entered "
                                   "at 0x40080000, initrd 0+0, dtb 0x40000000+"));
}

static void test_needs_kvm(void)
{
    g_autofree char *img = fake_image(1 << 20);
    g_auto(Run) r = { 0 };
    if (g_file_test("/dev/kvm", G_FILE_TEST_EXISTS)) {
        g_test_skip("this host has /dev/kvm");
        return;
    }
    run(&r, "-kernel", img, "-m", "64M", NULL);
    assert_one_line_error(&r, "armpass needs an aarch64 host with KVM");
}

/* A QMP socket that cannot be made: one line, status 1, before anything else is set up; a
 * socket that could be made is gone again when armpass stops on a later error. */
static void test_qmp_socket(void)
{
    g_autofree char *img = fake_image(1 << 20);
    g_autofree char *file = g_build_filename(tmpdir, "not-a-socket", NULL);
    g_autofree char *sock = g_build_filename(tmpdir, "qmp.sock", NULL);
    g_autofree char *bad = g_strdup_printf("unix:%s/no/such/dir/q.sock,server=on,wait=off",
                                           tmpdir);
    g_autofree char *taken = g_strdup_printf("unix:%s,server=on,wait=off", file);
    g_autofree char *good = g_strdup_printf("unix:%s,server=on,wait=off", sock);
    g_auto(Run) r1 = { 0 };
    g_auto(Run) r2 = { 0 };
    g_auto(Run) r3 = { 0 };
    g_auto(Run) r4 = { 0 };

    run(&r1, "-kernel", img, "-qmp", bad, NULL);
    assert_one_line_error(&r1, "cannot listen there: No such file or directory");
    g_assert_true(g_file_set_contents(file, "data", -1, NULL));
    run(&r2, "-kernel", img, "-qmp", taken, NULL);
    assert_one_line_error(&r2, "exists and is not a socket");
    run(&r3, "-kernel", img, "-qmp", "unix:/tmp/q.sock,server=on", NULL);
    assert_one_line_error(&r3, "give wait=off");
    /* a socket made, then an error (this host has no aarch64 KVM): the file goes too */
    run(&r4, "-kernel", img, "-m", "64M", "-qmp", good, NULL);
    assert_one_line_error(&r4, "KVM");
    g_assert_false(g_file_test(sock, G_FILE_TEST_EXISTS));
    unlink(file);
}

/* armpass probe: bad input is one line and status 1; a sysfs without devices is a report. */
static void test_probe(void)
{
    g_autofree char *sys = g_build_filename(tmpdir, "sys", NULL);
    g_autofree char *bus = g_build_filename(sys, "bus", NULL);
    g_auto(Run) bad = { 0 };
    g_auto(Run) extra = { 0 };
    g_auto(Run) missing = { 0 };
    g_auto(Run) ok = { 0 };
    g_auto(Run) help = { 0 };

    run(&bad, "probe", "--bogus", NULL);
    assert_one_line_error(&bad, "--bogus");
    run(&extra, "probe", "now", NULL);
    assert_one_line_error(&extra, "unexpected argument \"now\"");
    run(&missing, "probe", "--sysfs", "/nonexistent", NULL);
    assert_one_line_error(&missing, "/nonexistent/bus: no such folder");
    g_assert_cmpint(g_mkdir_with_parents(bus, 0755), ==, 0);
    run(&ok, "probe", "--sysfs", sys, NULL);
    g_assert_cmpint(ok.status, ==, 0);
    g_assert_nonnull(strstr(ok.out, "0 of 0 candidate devices can be passed now"));
    run(&help, "--help", NULL);
    g_assert_nonnull(strstr(help.out, "armpass probe [--json] [--sysfs ROOT]"));
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    armpass_path = g_getenv("ARMPASS");
    g_assert_nonnull(armpass_path);
    tmpdir = g_dir_make_tmp("armpass-cli-XXXXXX", NULL);
    g_test_add_func("/cli/help-version", test_help_version);
    g_test_add_func("/cli/missing-kernel", test_missing_kernel);
    g_test_add_func("/cli/no-kernel", test_no_kernel);
    g_test_add_func("/cli/not-an-image", test_not_an_image);
    g_test_add_func("/cli/memory-too-small", test_memory_too_small);
    g_test_add_func("/cli/bad-dtb", test_bad_dtb);
    g_test_add_func("/cli/unknown-device", test_unknown_device);
    g_test_add_func("/cli/device-ids", test_device_ids);
    g_test_add_func("/cli/malformed-options", test_malformed_options);
    g_test_add_func("/cli/overlapping-region", test_overlapping_region);
    g_test_add_func("/cli/dumpdtb", test_dumpdtb);
    g_test_add_func("/cli/cpu", test_cpu);
    g_test_add_func("/cli/dumpdtb-gzip-kernel-initrd", test_dumpdtb_gzip_kernel_initrd);
    g_test_add_func("/cli/elf-and-raw", test_elf_and_raw);
    g_test_add_func("/cli/baremetal", test_baremetal);
    g_test_add_func("/cli/needs-kvm", test_needs_kvm);
    g_test_add_func("/cli/qmp-socket", test_qmp_socket);
    g_test_add_func("/cli/probe", test_probe);
    ret = g_test_run();
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    (void)!system(cmd);
    return ret;
}
