// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the command line, the option-string and scalar parsers, and -device creation and help. */
#include "hw/arm/virt.h"
#include "hw/char/pl011.h"
#include "hw/core/device.h"
#include "system/options.h"

#include <glib.h>
#include <stdarg.h>
#include <string.h>

/* ---- Helpers -------------------------------------------------------------------------- */

/* Every error message is one line that starts with or contains what the user typed. */
static void assert_message(const GError *err, const char *needle1, const char *needle2)
{
    g_assert_nonnull(err);
    g_assert_true(err->domain == ARMPASS_OPTIONS_ERROR);
    g_assert_null(strchr(err->message, '\n'));
    if (needle1 && !strstr(err->message, needle1)) {
        g_error("message \"%s\" lacks \"%s\"", err->message, needle1);
    }
    if (needle2 && !strstr(err->message, needle2)) {
        g_error("message \"%s\" lacks \"%s\"", err->message, needle2);
    }
}

/* Parses "armpass" followed by the NULL-terminated arguments into a fresh cfg. */
static bool parse_v(ArmpassConfig *cfg, GError **errp, va_list ap)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    const char *a;

    g_ptr_array_add(argv, (char *)"armpass");
    while ((a = va_arg(ap, const char *))) {
        g_ptr_array_add(argv, (char *)a);
    }
    g_ptr_array_add(argv, NULL);
    armpass_config_init(cfg);
    return armpass_parse_args((int)argv->len - 1, (char **)argv->pdata, cfg, errp);
}

static G_GNUC_NULL_TERMINATED bool parse(ArmpassConfig *cfg, GError **errp, ...)
{
    va_list ap;
    bool ok;

    va_start(ap, errp);
    ok = parse_v(cfg, errp, ap);
    va_end(ap);
    return ok;
}

/* Asserts that the arguments are rejected with a message containing needle1 and needle2. */
static G_GNUC_NULL_TERMINATED void expect_error(const char *needle1, const char *needle2, ...)
{
    ArmpassConfig cfg;
    g_autoptr(GError) err = NULL;
    va_list ap;
    bool ok;

    va_start(ap, needle2);
    ok = parse_v(&cfg, &err, ap);
    va_end(ap);
    g_assert_false(ok);
    assert_message(err, needle1, needle2);
    armpass_config_clear(&cfg);
}

static const OptPair *pair_at(const OptList *ol, guint i)
{
    g_assert_cmpuint(i, <, ol->pairs->len);
    return g_ptr_array_index(ol->pairs, i);
}

/* ---- Option strings ------------------------------------------------------------------- */

static void test_opt_list_basic(void)
{
    g_autoptr(OptList) ol = NULL;
    g_autoptr(GError) err = NULL;

    g_assert_true(opt_list_parse("pl011,chardev=serial0,irq-base=5", true, &ol, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(ol->first, ==, "pl011");
    g_assert_cmpuint(ol->pairs->len, ==, 2);
    g_assert_cmpstr(pair_at(ol, 0)->key, ==, "chardev");
    g_assert_cmpstr(pair_at(ol, 0)->value, ==, "serial0");
    g_assert_cmpstr(pair_at(ol, 1)->key, ==, "irq-base");
    g_assert_cmpstr(pair_at(ol, 1)->value, ==, "5");
    g_assert_cmpstr(opt_list_get(ol, "irq-base"), ==, "5");
    g_assert_null(opt_list_get(ol, "nope"));
}

static void test_opt_list_escapes(void)
{
    g_autoptr(OptList) a = NULL;
    g_autoptr(OptList) b = NULL;
    g_autoptr(OptList) c = NULL;
    g_autoptr(OptList) d = NULL;

    /* ",," in a value */
    g_assert_true(opt_list_parse("drv,path=a,,b,,c,x=1", true, &a, NULL));
    g_assert_cmpstr(a->first, ==, "drv");
    g_assert_cmpstr(opt_list_get(a, "path"), ==, "a,b,c");
    g_assert_cmpstr(opt_list_get(a, "x"), ==, "1");
    g_assert_cmpuint(a->pairs->len, ==, 2);
    /* ",," in the first element */
    g_assert_true(opt_list_parse("we,,ird,k=v", true, &b, NULL));
    g_assert_cmpstr(b->first, ==, "we,ird");
    g_assert_cmpstr(opt_list_get(b, "k"), ==, "v");
    /* ",,," is a comma, then the separator; a value may hold '=' and be empty */
    g_assert_true(opt_list_parse("k=v,,,e=x=y,empty=", false, &c, NULL));
    g_assert_null(c->first);
    g_assert_cmpstr(opt_list_get(c, "k"), ==, "v,");
    g_assert_cmpstr(opt_list_get(c, "e"), ==, "x=y");
    g_assert_cmpstr(opt_list_get(c, "empty"), ==, "");
    /* a value ending in a literal comma */
    g_assert_true(opt_list_parse("k=a,,", false, &d, NULL));
    g_assert_cmpstr(opt_list_get(d, "k"), ==, "a,");
}

static void test_opt_list_implied_first(void)
{
    g_autoptr(OptList) a = NULL;
    g_autoptr(OptList) b = NULL;
    g_autoptr(GError) err = NULL;

    /* implied_first allows but does not require the bare first word */
    g_assert_true(opt_list_parse("gic-version=3", true, &a, NULL));
    g_assert_null(a->first);
    g_assert_cmpstr(opt_list_get(a, "gic-version"), ==, "3");
    /* without implied_first, a bare first word is an error */
    g_assert_false(opt_list_parse("virt,gic-version=3", false, &b, &err));
    assert_message(err, "\"virt\" is not key=value", NULL);
    g_assert_null(b);
}

static void test_opt_list_help(void)
{
    g_autoptr(OptList) a = NULL;
    g_autoptr(OptList) b = NULL;
    g_autoptr(OptList) c = NULL;

    g_assert_true(opt_list_parse("pl011,help", true, &a, NULL));
    g_assert_cmpstr(a->first, ==, "pl011");
    g_assert_cmpstr(opt_list_get(a, "help"), ==, "on");
    /* "-device help": help, not a driver called "help" */
    g_assert_true(opt_list_parse("help", true, &b, NULL));
    g_assert_null(b->first);
    g_assert_cmpstr(opt_list_get(b, "help"), ==, "on");
    /* also where bare words are otherwise refused */
    g_assert_true(opt_list_parse("a=1,help", false, &c, NULL));
    g_assert_cmpstr(opt_list_get(c, "help"), ==, "on");
}

static void test_opt_list_errors(void)
{
    static const struct {
        const char *str;
        bool implied;
        const char *needle;
    } cases[] = {
        { "", true, "empty option string" },
        { "", false, "empty option string" },
        { "pl011,", true, "empty element" },
        { "pl011,a=1,", true, "empty element" },
        { ",a=1", true, "empty element" },
        { "pl011,=x", true, "\"=x\" has an empty key" },
        { "pl011,bare", true, "\"bare\" is not key=value" },
        { "pl011,a=1,bare,b=2", true, "\"bare\" is not key=value" },
        { "bare", false, "\"bare\" is not key=value" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        OptList *ol = NULL;
        g_autoptr(GError) err = NULL;

        g_test_message("case \"%s\"", cases[i].str);
        g_assert_false(opt_list_parse(cases[i].str, cases[i].implied, &ol, &err));
        g_assert_null(ol);
        assert_message(err, cases[i].needle, NULL);
        g_assert_cmpint(err->code, ==, ARMPASS_OPTIONS_ERROR_INVALID);
    }
}

static void test_opt_list_get_last(void)
{
    g_autoptr(OptList) ol = NULL;

    g_assert_true(opt_list_parse("d,x=1,y=2,x=3", true, &ol, NULL));
    g_assert_cmpstr(opt_list_get(ol, "x"), ==, "3");
    g_assert_cmpstr(opt_list_get(ol, "y"), ==, "2");
    /* every pair is kept, in order */
    g_assert_cmpuint(ol->pairs->len, ==, 3);
    g_assert_cmpstr(pair_at(ol, 0)->value, ==, "1");
}

/* ---- Scalars -------------------------------------------------------------------------- */

static void test_parse_size(void)
{
    static const struct {
        const char *str;
        char def;
        uint64_t want;
    } good[] = {
        { "0", 0, 0 },
        { "4096", 0, 4096 },
        { "4096", 'M', 4096ULL << 20 },
        { "512", 'M', 512ULL << 20 },
        { "0x1000", 0, 0x1000 },
        { "1k", 0, 1024 },
        { "1K", 'M', 1024 },
        { "2m", 0, 2ULL << 20 },
        { "512M", 0, 512ULL << 20 },
        { "3g", 0, 3ULL << 30 },
        { "1G", 'K', 1ULL << 30 },
        { "2T", 0, 2ULL << 40 },
        { "4KiB", 0, 4096 },
        { "64MiB", 0, 64ULL << 20 },
        { "1GiB", 0, 1ULL << 30 },
        { "1gib", 0, 1ULL << 30 },
        { "1TiB", 0, 1ULL << 40 },
        { "16777215T", 0, 16777215ULL << 40 },
        { "18446744073709551615", 0, UINT64_MAX },
    };
    static const struct {
        const char *str;
        const char *needle;
    } bad[] = {
        { "", "is not a size" },
        { "12Q", "\"12Q\" is not a size" },
        { "M", "is not a size" },
        { "-1", "is not a size" },
        { "+1", "is not a size" },
        { " 1", "is not a size" },
        { "1 M", "is not a size" },
        { "1MB", "is not a size" },
        { "1Mi", "is not a size" },
        { "1MiBs", "is not a size" },
        { "1.5G", "is not a size" },
        { "0x", "is not a size" },
        { "0x0x10", "is not a size" },
        { "abc", "is not a size" },
        { "16777216T", "\"16777216T\" is too large" },
        { "18446744073709551616", "is too large" },
        { "99999999999999999999999", "is too large" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        uint64_t v = 0;
        g_autoptr(GError) err = NULL;

        g_test_message("good \"%s\"", good[i].str);
        g_assert_true(parse_size(good[i].str, good[i].def, &v, &err));
        g_assert_no_error(err);
        g_assert_cmpuint(v, ==, good[i].want);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        uint64_t v = 42;
        g_autoptr(GError) err = NULL;

        g_test_message("bad \"%s\"", bad[i].str);
        g_assert_false(parse_size(bad[i].str, 'M', &v, &err));
        assert_message(err, bad[i].needle, NULL);
        g_assert_cmpuint(v, ==, 42);
    }
    /* the bare number with a default suffix overflows too */
    {
        uint64_t v;
        g_autoptr(GError) err = NULL;

        g_assert_false(parse_size("17592186044416", 'M', &v, &err));
        assert_message(err, "too large", NULL);
    }
}

static void test_parse_uint64(void)
{
    static const struct {
        const char *str;
        uint64_t want;
    } good[] = {
        { "0", 0 },
        { "42", 42 },
        { "010", 10 },
        { "0x10", 16 },
        { "0XfF", 255 },
        { "18446744073709551615", UINT64_MAX },
        { "0xffffffffffffffff", UINT64_MAX },
    };
    static const char *const bad[] = { "", "x", "0x", "12a", "1K", " 1", "-1", "+1", "1 ",
                                       "0x-1", "0x0x1", "1.0" };

    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        uint64_t v = 0;

        g_assert_true(parse_uint64(good[i].str, &v, NULL));
        g_assert_cmpuint(v, ==, good[i].want);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        uint64_t v = 7;
        g_autoptr(GError) err = NULL;

        g_test_message("bad \"%s\"", bad[i]);
        g_assert_false(parse_uint64(bad[i], &v, &err));
        assert_message(err, "is not a number", "0x");
        g_assert_cmpuint(v, ==, 7);
    }
    {
        uint64_t v = 7;
        g_autoptr(GError) err = NULL;

        g_assert_false(parse_uint64("18446744073709551616", &v, &err));
        assert_message(err, "too large", "18446744073709551615");
        g_clear_error(&err);
        g_assert_false(parse_uint64("0x10000000000000000", &v, &err));
        assert_message(err, "too large", NULL);
        g_assert_cmpuint(v, ==, 7);
    }
}

static void test_parse_bool(void)
{
    static const char *const yes[] = { "on", "yes", "true", "ON" };
    static const char *const no[] = { "off", "no", "false", "Off" };
    static const char *const bad[] = { "", "1", "0", "maybe", "onn" };

    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        bool b = false;

        g_assert_true(parse_bool(yes[i], &b, NULL));
        g_assert_true(b);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(no); i++) {
        bool b = true;

        g_assert_true(parse_bool(no[i], &b, NULL));
        g_assert_false(b);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        bool b = true;
        g_autoptr(GError) err = NULL;

        g_assert_false(parse_bool(bad[i], &b, &err));
        assert_message(err, "is not a boolean", "on or off");
        g_assert_true(b);
    }
}

/* ---- The command line ----------------------------------------------------------------- */

static void test_args_defaults(void)
{
    ArmpassConfig cfg;
    g_autoptr(GError) err = NULL;

    g_assert_true(parse(&cfg, &err, NULL));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg.machine, ==, "virt");
    g_assert_cmpint(cfg.gic_version, ==, GIC_VERSION_HOST);
    g_assert_cmpuint(cfg.ram_size, ==, 512ULL << 20);
    g_assert_cmpuint(cfg.smp, ==, 1);
    g_assert_cmpint(cfg.serial, ==, SERIAL_STDIO);
    g_assert_null(cfg.serial_path);
    g_assert_null(cfg.kernel);
    g_assert_null(cfg.initrd);
    g_assert_null(cfg.append);
    g_assert_null(cfg.dtb);
    g_assert_null(cfg.dumpdtb);
    g_assert_nonnull(cfg.devices);
    g_assert_cmpuint(cfg.devices->len, ==, 0);
    g_assert_false(cfg.show_help || cfg.show_version || cfg.stats || cfg.debug);
    armpass_config_clear(&cfg);
    g_assert_null(cfg.machine);
    g_assert_null(cfg.devices);
    armpass_config_clear(&cfg); /* twice is harmless */
}

static void test_args_full(void)
{
    ArmpassConfig cfg;
    g_autoptr(GError) err = NULL;
    const OptList *d0, *d1;

    g_assert_true(parse(&cfg, &err,
                        "-M", "virt,gic-version=3",
                        "-m", "2G",
                        "-smp", "4",
                        "-kernel", "Image",
                        "-initrd", "rootfs.cpio.gz",
                        "-append", "console=ttyAMA0 root=/dev/vda rw",
                        "-dtb", "my.dtb",
                        "-device", "pl011,chardev=ser1",
                        "-device", "vfio-platform,host=9000000.uart,,x",
                        "-serial", "stdio",
                        "-nographic",
                        "-d", "stats",
                        NULL));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg.machine, ==, "virt");
    g_assert_cmpint(cfg.gic_version, ==, GIC_VERSION_3);
    g_assert_cmpuint(cfg.ram_size, ==, 2ULL << 30);
    g_assert_cmpuint(cfg.smp, ==, 4);
    g_assert_cmpstr(cfg.kernel, ==, "Image");
    g_assert_cmpstr(cfg.initrd, ==, "rootfs.cpio.gz");
    g_assert_cmpstr(cfg.append, ==, "console=ttyAMA0 root=/dev/vda rw");
    g_assert_cmpstr(cfg.dtb, ==, "my.dtb");
    g_assert_cmpint(cfg.serial, ==, SERIAL_STDIO);
    g_assert_true(cfg.stats);
    g_assert_false(cfg.debug);
    g_assert_false(cfg.show_help);
    g_assert_false(cfg.show_version);
    g_assert_null(cfg.dumpdtb);
    g_assert_cmpuint(cfg.devices->len, ==, 2);
    d0 = g_ptr_array_index(cfg.devices, 0);
    d1 = g_ptr_array_index(cfg.devices, 1);
    g_assert_cmpstr(d0->first, ==, "pl011");
    g_assert_cmpstr(opt_list_get(d0, "chardev"), ==, "ser1");
    g_assert_cmpstr(d1->first, ==, "vfio-platform");
    g_assert_cmpstr(opt_list_get(d1, "host"), ==, "9000000.uart,x");
    armpass_config_clear(&cfg);
}

static void test_args_long_forms(void)
{
    ArmpassConfig cfg;
    g_autoptr(GError) err = NULL;

    g_assert_true(parse(&cfg, &err, "--machine", "virt,dumpdtb=out.dtb,gic-version=2",
                        "--m", "1024", "--smp", "cpus=2", "--kernel", "K", "--append", "",
                        "--nographic", "--d", "debug,stats", NULL));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg.dumpdtb, ==, "out.dtb");
    g_assert_cmpint(cfg.gic_version, ==, GIC_VERSION_2);
    g_assert_cmpuint(cfg.ram_size, ==, 1024ULL << 20);
    g_assert_cmpuint(cfg.smp, ==, 2);
    g_assert_cmpstr(cfg.kernel, ==, "K");
    g_assert_cmpstr(cfg.append, ==, "");
    g_assert_true(cfg.stats);
    g_assert_true(cfg.debug);
    armpass_config_clear(&cfg);

    /* -machine, -M host, repeated options: the last wins */
    g_assert_true(parse(&cfg, &err, "-machine", "virt,gic-version=3", "-M",
                        "gic-version=host", "-kernel", "a", "-kernel", "b", "-m", "size=64M",
                        NULL));
    g_assert_no_error(err);
    g_assert_cmpint(cfg.gic_version, ==, GIC_VERSION_HOST);
    g_assert_cmpstr(cfg.kernel, ==, "b");
    g_assert_cmpuint(cfg.ram_size, ==, 64ULL << 20);
    armpass_config_clear(&cfg);
}

static void test_args_help_version(void)
{
    static const char *const helps[] = { "-h", "-help", "--help" };
    static const char *const versions[] = { "-V", "-version", "--version" };
    ArmpassConfig cfg;

    for (size_t i = 0; i < G_N_ELEMENTS(helps); i++) {
        g_assert_true(parse(&cfg, NULL, helps[i], NULL));
        g_assert_true(cfg.show_help);
        g_assert_false(cfg.show_version);
        armpass_config_clear(&cfg);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(versions); i++) {
        g_assert_true(parse(&cfg, NULL, versions[i], NULL));
        g_assert_true(cfg.show_version);
        g_assert_false(cfg.show_help);
        armpass_config_clear(&cfg);
    }
}

static void test_args_machine_errors(void)
{
    expect_error("-M foo: unknown machine type \"foo\"", "\"virt\"", "-M", "foo", NULL);
    expect_error("-M virt,bogus=1: unknown machine property \"bogus\"", "gic-version",
                 "-M", "virt,bogus=1", NULL);
    expect_error("-M virt,gic-version=4", "use 2, 3 or host", "-M", "virt,gic-version=4",
                 NULL);
    expect_error("-M virt,dumpdtb=", "needs a file name", "-M", "virt,dumpdtb=", NULL);
    expect_error("-M virt,", "empty element", "-M", "virt,", NULL);
    expect_error("-M help", "\"virt\"", "-M", "help", NULL);
    expect_error("-machine virt,x", "\"x\" is not key=value", "-machine", "virt,x", NULL);
}

static void test_args_ram_errors(void)
{
    expect_error("-m: \"12Q\" is not a size", "K, M, G or T", "-m", "12Q", NULL);
    expect_error("-m: \"8M\" is too little RAM", "16M", "-m", "8M", NULL);
    expect_error("-m: \"0\" is too little RAM", NULL, "-m", "0", NULL);
    expect_error("-m: \"513M\" is not a multiple of 2 MiB", "512M", "-m", "513M", NULL);
    expect_error("-m: \"17000K\" is not a multiple of 2 MiB", NULL, "-m", "17000K", NULL);
    expect_error("-m: \"256G\" is more RAM than armpass supports", "255G", "-m", "256G", NULL);
    expect_error("-m: \"99999999999999T\" is too large", NULL, "-m", "99999999999999T", NULL);
    expect_error("-m slots=2: \"slots\" is not supported", "-m SIZE", "-m", "slots=2", NULL);

    /* the bounds themselves are fine */
    {
        ArmpassConfig cfg;

        g_assert_true(parse(&cfg, NULL, "-m", "16", NULL));
        g_assert_cmpuint(cfg.ram_size, ==, ARMPASS_MIN_RAM);
        armpass_config_clear(&cfg);
        g_assert_true(parse(&cfg, NULL, "-m", "255G", NULL));
        g_assert_cmpuint(cfg.ram_size, ==, ARMPASS_MAX_RAM);
        armpass_config_clear(&cfg);
    }
}

/* -cpu: the default is host with every feature where KVM offers it; QEMU's switches set each
 * one; sveN sets one vector length (the last word for it counts); help asks for the list. */
static void test_args_cpu(void)
{
    ArmpassConfig cfg;
    g_autoptr(GError) err = NULL;

    g_assert_true(parse(&cfg, &err, NULL));
    g_assert_cmpint(cfg.cpu.pmu, ==, ONOFF_AUTO);
    g_assert_cmpint(cfg.cpu.sve, ==, ONOFF_AUTO);
    g_assert_cmpint(cfg.cpu.pauth, ==, ONOFF_AUTO);
    g_assert_cmpuint(cfg.cpu.sve_vq_on | cfg.cpu.sve_vq_off, ==, 0);
    armpass_config_clear(&cfg);

    g_assert_true(parse(&cfg, &err, "-cpu", "host,pmu=off,sve=on,pauth=off", NULL));
    g_assert_cmpint(cfg.cpu.pmu, ==, ONOFF_OFF);
    g_assert_cmpint(cfg.cpu.sve, ==, ONOFF_ON);
    g_assert_cmpint(cfg.cpu.pauth, ==, ONOFF_OFF);
    armpass_config_clear(&cfg);

    /* max is host; sve128 is vq 1, sve2048 vq 16; a later word for a length wins */
    g_assert_true(parse(&cfg, &err, "-cpu", "max,sve128=on,sve2048=on,sve384=off,sve512=off,"
                        "sve512=on,sve128=off,sve128=on", NULL));
    g_assert_no_error(err);
    g_assert_cmphex(cfg.cpu.sve_vq_on, ==, 0x1 | 0x8 | 0x8000);
    g_assert_cmphex(cfg.cpu.sve_vq_off, ==, 0x4);
    g_assert_cmpint(cfg.cpu.sve, ==, ONOFF_AUTO);
    armpass_config_clear(&cfg);

    /* the last -cpu replaces the one before, as in QEMU */
    g_assert_true(parse(&cfg, &err, "-cpu", "host,pmu=off", "-cpu", "host", NULL));
    g_assert_cmpint(cfg.cpu.pmu, ==, ONOFF_AUTO);
    armpass_config_clear(&cfg);

    g_assert_true(parse(&cfg, &err, "-cpu", "help", NULL));
    g_assert_true(cfg.show_cpu_help);
    armpass_config_clear(&cfg);
    g_assert_true(parse(&cfg, &err, "-cpu", "host,help", NULL));
    g_assert_true(cfg.show_cpu_help);
    armpass_config_clear(&cfg);
    g_assert_nonnull(strstr(armpass_cpu_help(), "sveN=on|off"));
    g_assert_nonnull(strstr(armpass_cpu_help(), "pauth=on|off"));
    g_assert_nonnull(strstr(armpass_cpu_help(), "pmu=on|off"));

    expect_error("-cpu cortex-a57", "use -cpu host", "-cpu", "cortex-a57", NULL);
    expect_error("unknown CPU model \"\"", "-cpu host", "-cpu", "pmu=off", NULL);
    expect_error("unknown switch \"sve300\"", "2048", "-cpu", "host,sve300=on", NULL);
    expect_error("unknown switch \"sve4096\"", NULL, "-cpu", "host,sve4096=on", NULL);
    expect_error("unknown switch \"sve0\"", NULL, "-cpu", "host,sve0=on", NULL);
    expect_error("unknown switch \"aarch64\"", "pauth", "-cpu", "host,aarch64=off", NULL);
    expect_error("pmu=maybe is not on or off", NULL, "-cpu", "host,pmu=maybe", NULL);
    expect_error("sve=off and sve256=on", "drop one", "-cpu", "host,sve256=on,sve=off", NULL);
    expect_error("-cpu: needs an argument", "-cpu host", "-cpu", NULL);
}

static void test_args_smp(void)
{
    ArmpassConfig cfg;
    char max[16];

    g_snprintf(max, sizeof(max), "%d", ARMPASS_MAX_CPUS);
    g_assert_true(parse(&cfg, NULL, "-smp", max, NULL));
    g_assert_cmpuint(cfg.smp, ==, ARMPASS_MAX_CPUS);
    armpass_config_clear(&cfg);
    g_assert_true(parse(&cfg, NULL, "-smp", "cpus=3", NULL));
    g_assert_cmpuint(cfg.smp, ==, 3);
    armpass_config_clear(&cfg);

    expect_error("-smp: 0 CPUs is out of range", "use 1 to 8", "-smp", "0", NULL);
    expect_error("-smp: 9 CPUs is out of range", "use 1 to 8", "-smp", "9", NULL);
    expect_error("-smp: 0 CPUs is out of range", NULL, "-smp", "cpus=0", NULL);
    expect_error("-smp: \"four\" is not a number", NULL, "-smp", "four", NULL);
    expect_error("-smp: \"99999999999999999999\" is too large", NULL, "-smp",
                 "99999999999999999999", NULL);
    expect_error("-smp 4,sockets=2: \"sockets\" is not supported", "-smp N", "-smp",
                 "4,sockets=2", NULL);
}

static void test_args_serial(void)
{
    ArmpassConfig cfg;

    g_assert_true(parse(&cfg, NULL, "-serial", "file:/tmp/con,sole.log", NULL));
    g_assert_cmpint(cfg.serial, ==, SERIAL_FILE);
    g_assert_cmpstr(cfg.serial_path, ==, "/tmp/con,sole.log");
    armpass_config_clear(&cfg);
    g_assert_true(parse(&cfg, NULL, "-serial", "none", NULL));
    g_assert_cmpint(cfg.serial, ==, SERIAL_NONE);
    g_assert_null(cfg.serial_path);
    armpass_config_clear(&cfg);

    expect_error("-serial: \"pty\" is not supported", "stdio, none or file:PATH", "-serial",
                 "pty", NULL);
    expect_error("-serial: file: needs a path", NULL, "-serial", "file:", NULL);
    expect_error("-serial none: given more than once", NULL, "-serial", "stdio", "-serial",
                 "none", NULL);
}

static void test_args_d(void)
{
    ArmpassConfig cfg;

    g_assert_true(parse(&cfg, NULL, "-d", "stats", NULL));
    g_assert_true(cfg.stats);
    g_assert_false(cfg.debug);
    armpass_config_clear(&cfg);
    g_assert_true(parse(&cfg, NULL, "-d", "debug", NULL));
    g_assert_false(cfg.stats);
    g_assert_true(cfg.debug);
    armpass_config_clear(&cfg);

    expect_error("-d: unknown item \"int\"", "stats", "-d", "int", NULL);
    expect_error("-d: unknown item \"\"", NULL, "-d", "stats,", NULL);
    expect_error("-d: empty list", NULL, "-d", "", NULL);
}

static void test_args_reboot_sandbox(void)
{
    ArmpassConfig cfg;

    g_assert_true(parse(&cfg, NULL, NULL));
    g_assert_false(cfg.no_reboot);
    g_assert_false(cfg.sandbox);
    armpass_config_clear(&cfg);
    g_assert_true(parse(&cfg, NULL, "-no-reboot", "-sandbox", "on", NULL));
    g_assert_true(cfg.no_reboot);
    g_assert_true(cfg.sandbox);
    armpass_config_clear(&cfg);
    g_assert_true(parse(&cfg, NULL, "-sandbox", "on", "--sandbox", "off", NULL));
    g_assert_false(cfg.sandbox);
    armpass_config_clear(&cfg);

    expect_error("-sandbox maybe: use on or off", NULL, "-sandbox", "maybe", NULL);
    expect_error("-sandbox: needs an argument", "-sandbox on", "-sandbox", NULL);
}

/* -qmp and QEMU's -chardev socket + -mon spelling; what is refused and why. */
static void test_args_qmp(void)
{
    ArmpassConfig cfg;

    g_assert_true(parse(&cfg, NULL, NULL));
    g_assert_null(cfg.qmp_path);
    armpass_config_clear(&cfg);
    g_assert_true(parse(&cfg, NULL, "-qmp", "unix:/tmp/q.sock,server=on,wait=off", NULL));
    g_assert_cmpstr(cfg.qmp_path, ==, "/tmp/q.sock");
    armpass_config_clear(&cfg);
    /* -mon before its -chardev is fine, as in QEMU */
    g_assert_true(parse(&cfg, NULL, "-mon", "chardev=m0,mode=control", "-chardev",
                        "socket,id=m0,path=/tmp/m.sock,server=on,wait=off", NULL));
    g_assert_cmpstr(cfg.qmp_path, ==, "/tmp/m.sock");
    armpass_config_clear(&cfg);
    /* a -chardev no -mon uses is no QMP socket */
    g_assert_true(parse(&cfg, NULL, "-chardev", "socket,id=x,path=/tmp/x,server=on,wait=off",
                        NULL));
    g_assert_null(cfg.qmp_path);
    armpass_config_clear(&cfg);

    expect_error("-qmp tcp:1234,server=on,wait=off", "unix:PATH", "-qmp",
                 "tcp:1234,server=on,wait=off", NULL);
    expect_error("-qmp unix:/tmp/q: armpass listens", "server=on", "-qmp", "unix:/tmp/q", NULL);
    expect_error("does not wait", "wait=off", "-qmp", "unix:/tmp/q,server=on", NULL);
    expect_error("does not wait", "wait=off", "-qmp", "unix:/tmp/q,server=on,wait=on", NULL);
    expect_error("\"pretty\" is not supported", NULL, "-qmp",
                 "unix:/tmp/q,server=on,wait=off,pretty=on", NULL);
    expect_error("serves one QMP socket", "/tmp/a", "-qmp", "unix:/tmp/a,server=on,wait=off",
                 "-qmp", "unix:/tmp/b,server=on,wait=off", NULL);
    expect_error("the only backend is socket", NULL, "-chardev", "stdio,id=c", NULL);
    expect_error("give id= and path=", NULL, "-chardev", "socket,id=c,server=on,wait=off", NULL);
    expect_error("with id \"c\" is given already", NULL,
                 "-chardev", "socket,id=c,path=/a,server=on,wait=off",
                 "-chardev", "socket,id=c,path=/b,server=on,wait=off", NULL);
    expect_error("no -chardev has id \"nope\"", NULL, "-mon", "chardev=nope,mode=control",
                 NULL);
    expect_error("no human monitor", "mode=control", "-chardev",
                 "socket,id=c,path=/a,server=on,wait=off", "-mon", "chardev=c,mode=readline",
                 NULL);
    expect_error("-mon mode=control: give chardev=ID", NULL, "-mon", "mode=control", NULL);
    /* -S: held until QMP cont, so only with a QMP socket (either spelling, either order) */
    g_assert_true(parse(&cfg, NULL, "-S", "-qmp", "unix:/tmp/q.sock,server=on,wait=off", NULL));
    g_assert_true(cfg.start_paused);
    armpass_config_clear(&cfg);
    g_assert_true(parse(&cfg, NULL, "-S", "-mon", "chardev=m0,mode=control", "-chardev",
                        "socket,id=m0,path=/tmp/m.sock,server=on,wait=off", NULL));
    g_assert_true(cfg.start_paused);
    armpass_config_clear(&cfg);
    g_assert_true(parse(&cfg, NULL, "-qmp", "unix:/tmp/q.sock,server=on,wait=off", NULL));
    g_assert_false(cfg.start_paused);
    armpass_config_clear(&cfg);
    expect_error("-S: the guest would wait for a QMP cont", "add -qmp unix:PATH", "-S", NULL);
}

static void test_args_device(void)
{
    ArmpassConfig cfg;
    const OptList *ol;

    g_assert_true(parse(&cfg, NULL, "-device", "help", "-device", "pl011,help", NULL));
    g_assert_cmpuint(cfg.devices->len, ==, 2);
    ol = g_ptr_array_index(cfg.devices, 0);
    g_assert_null(ol->first);
    g_assert_cmpstr(opt_list_get(ol, "help"), ==, "on");
    ol = g_ptr_array_index(cfg.devices, 1);
    g_assert_cmpstr(ol->first, ==, "pl011");
    g_assert_cmpstr(opt_list_get(ol, "help"), ==, "on");
    armpass_config_clear(&cfg);

    expect_error("-device id=x: no device type given", "-device help", "-device", "id=x",
                 NULL);
    expect_error("-device pl011,: empty element", NULL, "-device", "pl011,", NULL);
    expect_error("-device pl011,=1: \"=1\" has an empty key", NULL, "-device", "pl011,=1",
                 NULL);
    expect_error("-device : empty option string", NULL, "-device", "", NULL);
}

/* -object iommufd / vfio-container, -accel kvm[,fd=N], and which descriptors end reboots. */
static void test_args_object_accel(void)
{
    ArmpassConfig cfg;
    const ArmpassObject *o;

    g_assert_true(parse(&cfg, NULL, NULL));
    g_assert_cmpuint(cfg.objects->len, ==, 0);
    g_assert_cmpint(cfg.kvm_fd, ==, -1);
    g_assert_false(cfg.fds_passed);
    armpass_config_clear(&cfg);

    g_assert_true(parse(&cfg, NULL, "-object", "iommufd,id=i0", "-object",
                        "vfio-container,id=c0,fd=4", "-object", "iommufd,id=i1,fd=5", NULL));
    g_assert_cmpuint(cfg.objects->len, ==, 3);
    o = g_ptr_array_index(cfg.objects, 0);
    g_assert_cmpstr(o->type, ==, "iommufd");
    g_assert_cmpstr(o->id, ==, "i0");
    g_assert_cmpint(o->fd, ==, -1);
    o = g_ptr_array_index(cfg.objects, 1);
    g_assert_cmpstr(o->type, ==, "vfio-container");
    g_assert_cmpint(o->fd, ==, 4);
    o = g_ptr_array_index(cfg.objects, 2);
    g_assert_cmpint(o->fd, ==, 5);
    g_assert_true(cfg.fds_passed);
    armpass_config_clear(&cfg);

    /* an iommufd without fd= passes nothing: reboots stay */
    g_assert_true(parse(&cfg, NULL, "-object", "iommufd,id=i0", "-device",
                        "vfio-pci,host=0000:00:01.0,iommufd=i0", NULL));
    g_assert_false(cfg.fds_passed);
    armpass_config_clear(&cfg);
    g_assert_true(parse(&cfg, NULL, "-device", "vfio-pci,host=01:00.0,iommufd=i0,fd=7", NULL));
    g_assert_true(cfg.fds_passed);
    armpass_config_clear(&cfg);
    g_assert_true(parse(&cfg, NULL, "-device", "vfio-amba,host=x,group-fd=7", NULL));
    g_assert_true(cfg.fds_passed);
    armpass_config_clear(&cfg);

    g_assert_true(parse(&cfg, NULL, "-object", "help", NULL));
    g_assert_true(cfg.show_object_help);
    armpass_config_clear(&cfg);
    g_assert_true(strstr(armpass_object_help(), "iommufd"));
    g_assert_true(strstr(armpass_object_help(), "vfio-container"));

    expect_error("-object memory-backend-epc,id=m: unknown object type \"memory-backend-epc\"",
                 "-object help", "-object", "memory-backend-epc,id=m", NULL);
    expect_error("-object iommufd: needs id=NAME", NULL, "-object", "iommufd", NULL);
    expect_error("id=a is already the id of an -object iommufd", NULL, "-object",
                 "iommufd,id=a", "-object", "vfio-container,id=a,fd=3", NULL);
    expect_error("a vfio-container needs fd=N", NULL, "-object", "vfio-container,id=c", NULL);
    expect_error("fd=x is not a descriptor number", NULL, "-object", "iommufd,id=i,fd=x",
                 NULL);
    expect_error("fd=-3 is not a descriptor number", NULL, "-object", "iommufd,id=i,fd=-3",
                 NULL);
    expect_error("unknown property \"path\"", NULL, "-object", "iommufd,id=i,path=/dev/iommu",
                 NULL);

    g_assert_true(parse(&cfg, NULL, "-accel", "kvm", NULL));
    g_assert_cmpint(cfg.kvm_fd, ==, -1);
    g_assert_false(cfg.fds_passed);
    armpass_config_clear(&cfg);
    g_assert_true(parse(&cfg, NULL, "-accel", "kvm,fd=3", NULL));
    g_assert_cmpint(cfg.kvm_fd, ==, 3);
    g_assert_true(cfg.fds_passed);
    armpass_config_clear(&cfg);
    expect_error("-accel tcg: unknown accelerator \"tcg\"", NULL, "-accel", "tcg", NULL);
    expect_error("-accel kvm,fd=three: fd=three is not a descriptor number", NULL, "-accel",
                 "kvm,fd=three", NULL);
    expect_error("unknown property \"thread\"", NULL, "-accel", "kvm,thread=single", NULL);
    expect_error("the only accelerator is kvm", NULL, "-accel", "help", NULL);
}

static void test_args_files(void)
{
    expect_error("-kernel: needs a file name", "-kernel Image", "-kernel", "", NULL);
    expect_error("-initrd: needs a file name", NULL, "-initrd", "", NULL);
    expect_error("-dtb: needs a file name", NULL, "-dtb", "", NULL);
}

static void test_args_unknown_option(void)
{
    ArmpassConfig cfg;
    g_autoptr(GError) err = NULL;

    g_assert_false(parse(&cfg, &err, "-kernel", "Image", "-foo", NULL));
    assert_message(err, "unknown option \"-foo\" (see armpass --help)", NULL);
    g_assert_cmpint(err->code, ==, ARMPASS_OPTIONS_ERROR_UNKNOWN);
    armpass_config_clear(&cfg);

    expect_error("unknown option \"--bogus\"", "--help", "--bogus", NULL);
    expect_error("unknown option \"--\"", NULL, "--", NULL);
    expect_error("unknown option \"-kernel=Image\"", NULL, "-kernel=Image", NULL);
    expect_error("unexpected argument \"disk.img\"", "--help", "disk.img", NULL);
    expect_error("unexpected argument \"-\"", NULL, "-", NULL);
}

static void test_args_missing_argument(void)
{
    static const struct {
        const char *opt;
        const char *example;
    } cases[] = {
        { "-kernel", "(e.g. -kernel Image)" },
        { "--kernel", "(e.g. -kernel Image)" },
        { "-M", "(e.g. -M virt" },
        { "-machine", "(e.g. -M virt" },
        { "-m", "(e.g. -m " },
        { "-smp", "(e.g. -smp " },
        { "-initrd", "(e.g. -initrd " },
        { "-append", "(e.g. -append " },
        { "-dtb", "(e.g. -dtb " },
        { "-device", "(e.g. -device pl011" },
        { "-serial", "(e.g. -serial " },
        { "-d", "(e.g. -d stats" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *want = g_strdup_printf("%s: needs an argument %s", cases[i].opt,
                                                cases[i].example);

        expect_error(want, NULL, cases[i].opt, NULL);
    }
    /* flags take none: "-nographic" does not swallow the next option */
    {
        ArmpassConfig cfg;

        g_assert_true(parse(&cfg, NULL, "-nographic", "-kernel", "I", NULL));
        g_assert_cmpstr(cfg.kernel, ==, "I");
        armpass_config_clear(&cfg);
    }
}

static void test_args_error_keeps_errp(void)
{
    /* success never touches *errp: a NULL errp and a set-up GError* both work */
    ArmpassConfig cfg;
    GError *err = NULL;

    g_assert_true(parse(&cfg, &err, "-m", "1G", NULL));
    g_assert_null(err);
    armpass_config_clear(&cfg);
    g_assert_false(parse(&cfg, NULL, "-m", "1Q", NULL));
    armpass_config_clear(&cfg);
}

static void test_usage(void)
{
    static const char *const must[] = {
        "-machine", "-M ", "gic-version", "dumpdtb", "-m SIZE", "-smp", "-kernel", "-initrd",
        "-append", "-dtb", "-device", "-device help", "-serial", "file:PATH", "-nographic",
        "-d ", "stats", "debug", "-help", "-h", "-version", "-V", "e.g. -kernel Image",
        "two dashes (--kernel)", "Exit status", "0  the guest powered off", "1  error",
        "3  the guest asked for a reset under -no-reboot or -sandbox on",
    };
    const char *u = armpass_usage();

    g_assert_nonnull(u);
    g_assert_true(u == armpass_usage());
    for (size_t i = 0; i < G_N_ELEMENTS(must); i++) {
        if (!strstr(u, must[i])) {
            g_error("usage lacks \"%s\":\n%s", must[i], u);
        }
    }
}

/* ---- Devices -------------------------------------------------------------------------- */

typedef struct FakeDevice {
    DeviceState parent;
    char *label;
    bool label_set;
    bool enabled;
    bool enabled_set;
    uint64_t count;
    uint64_t window;
    bool window_set;
} FakeDevice;

static const Property fake_props[] = {
    { .name = "label", .type = PROP_STRING, .offset = offsetof(FakeDevice, label),
      .set_offset = offsetof(FakeDevice, label_set), .desc = "a name for it" },
    { .name = "enabled", .type = PROP_BOOL, .offset = offsetof(FakeDevice, enabled),
      .set_offset = offsetof(FakeDevice, enabled_set), .desc = "switch it on" },
    /* no set flag: set_offset 0 */
    { .name = "count", .type = PROP_UINT64, .offset = offsetof(FakeDevice, count),
      .desc = "how many" },
    { .name = "window", .type = PROP_SIZE, .offset = offsetof(FakeDevice, window),
      .set_offset = offsetof(FakeDevice, window_set), .desc = "how big" },
    PROP_END,
};

static const DeviceClass fake_class = {
    .name = "fake",
    .desc = "A device for tests",
    .instance_size = sizeof(FakeDevice),
    .props = fake_props,
};

static const DeviceClass bare_class = {
    .name = "bare",
    .desc = "No properties",
    .instance_size = sizeof(DeviceState),
    .props = (const Property[]){ PROP_END },
};

static DeviceState *create_fake(const char *str, unsigned index, GError **errp)
{
    g_autoptr(OptList) ol = NULL;

    g_assert_true(opt_list_parse(str, true, &ol, NULL));
    return device_create_from_class(&fake_class, ol, index, errp);
}

static void test_device_values(void)
{
    g_autoptr(GError) err = NULL;
    DeviceState *dev = create_fake("fake,label=a,,b,enabled=on,count=0x10,window=64K", 3,
                                   &err);
    FakeDevice *f = (FakeDevice *)dev;

    g_assert_no_error(err);
    g_assert_nonnull(dev);
    g_assert_true(dev->klass == &fake_class);
    g_assert_cmpstr(dev->id, ==, "fake.3");
    g_assert_false(dev->realized);
    g_assert_cmpstr(f->label, ==, "a,b");
    g_assert_true(f->label_set);
    g_assert_true(f->enabled);
    g_assert_true(f->enabled_set);
    g_assert_cmpuint(f->count, ==, 16);
    g_assert_cmpuint(f->window, ==, 64 * 1024);
    g_assert_true(f->window_set);
    device_free(dev);
    device_free(NULL);
}

static void test_device_set_flags(void)
{
    DeviceState *dev = create_fake("fake,enabled=off,count=5", 0, NULL);
    FakeDevice *f = (FakeDevice *)dev;

    g_assert_nonnull(dev);
    g_assert_cmpstr(dev->id, ==, "fake.0");
    /* set to false, but set */
    g_assert_false(f->enabled);
    g_assert_true(f->enabled_set);
    g_assert_cmpuint(f->count, ==, 5);
    /* untouched ones stay zero and unset */
    g_assert_null(f->label);
    g_assert_false(f->label_set);
    g_assert_false(f->window_set);
    g_assert_cmpuint(f->window, ==, 0);
    /* set_offset 0 did not scribble on the DeviceState header */
    g_assert_true(dev->klass == &fake_class);
    device_free(dev);

    /* a size property takes no default suffix: a bare number is bytes */
    dev = create_fake("fake,window=4096", 0, NULL);
    g_assert_cmpuint(((FakeDevice *)dev)->window, ==, 4096);
    device_free(dev);
}

static void test_device_last_wins(void)
{
    DeviceState *dev = create_fake("fake,label=one,count=1,label=two,count=2", 1, NULL);
    FakeDevice *f = (FakeDevice *)dev;

    g_assert_nonnull(dev);
    g_assert_cmpstr(f->label, ==, "two"); /* and "one" is not leaked (ASan/valgrind) */
    g_assert_cmpuint(f->count, ==, 2);
    device_free(dev);
}

static void test_device_unknown_property(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GError) err2 = NULL;
    g_autoptr(OptList) ol = NULL;

    g_assert_null(create_fake("fake,label=x,bogus=1", 0, &err));
    assert_message(err, "-device fake: unknown property \"bogus\"",
                   "label, enabled, count, window");
    g_assert_nonnull(strstr(err->message, "try -device fake,help"));
    g_assert_cmpint(err->code, ==, ARMPASS_OPTIONS_ERROR_UNKNOWN);

    g_assert_true(opt_list_parse("bare,x=1", true, &ol, NULL));
    g_assert_null(device_create_from_class(&bare_class, ol, 0, &err2));
    assert_message(err2, "-device bare: unknown property \"x\"", "bare has no properties");
}

static void test_device_type_errors(void)
{
    static const struct {
        const char *str;
        const char *needle1;
        const char *needle2;
    } cases[] = {
        { "fake,enabled=maybe", "-device fake: property \"enabled\"",
          "\"maybe\" is not a boolean" },
        { "fake,count=ten", "-device fake: property \"count\"", "\"ten\" is not a number" },
        { "fake,count=-1", "property \"count\"", "is not a number" },
        { "fake,count=99999999999999999999", "property \"count\"", "too large" },
        { "fake,window=12Q", "-device fake: property \"window\"", "\"12Q\" is not a size" },
        { "fake,window=99999999T", "property \"window\"", "too large" },
        /* a good label set before the failure is freed with the device */
        { "fake,label=ok,count=x", "property \"count\"", "not a number" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;

        g_test_message("case \"%s\"", cases[i].str);
        g_assert_null(create_fake(cases[i].str, 0, &err));
        assert_message(err, cases[i].needle1, cases[i].needle2);
        g_assert_cmpint(err->code, ==, ARMPASS_OPTIONS_ERROR_INVALID);
    }
}

static void test_device_create_lookup(void)
{
    g_autoptr(OptList) unknown = NULL;
    g_autoptr(OptList) nodriver = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GError) err2 = NULL;

    g_assert_true(opt_list_parse("foo,x=1", true, &unknown, NULL));
    g_assert_null(device_create(virt_device_classes, unknown, 0, &err));
    assert_message(err, "-device foo: unknown device type (try -device help)", NULL);
    g_assert_cmpint(err->code, ==, ARMPASS_OPTIONS_ERROR_UNKNOWN);

    g_assert_true(opt_list_parse("x=1", true, &nodriver, NULL));
    g_assert_null(device_create(virt_device_classes, nodriver, 0, &err2));
    assert_message(err2, "no device type given", "-device help");

    g_assert_null(device_class_find(virt_device_classes, "foo"));
    g_assert_true(device_class_find(virt_device_classes, "pl011") == &pl011_device_class);
}

static void test_device_table(void)
{
    bool has_pl011 = false;
    size_t n = 0;

    for (const DeviceClass *const *dc = virt_device_classes; *dc; dc++, n++) {
        g_assert_nonnull((*dc)->name);
        g_assert_nonnull((*dc)->desc);
        g_assert_cmpuint((*dc)->instance_size, >=, sizeof(DeviceState));
        g_assert_true(device_class_find(virt_device_classes, (*dc)->name) == *dc);
        has_pl011 |= *dc == &pl011_device_class;
    }
    g_assert_cmpuint(n, >=, 1);
    g_assert_true(has_pl011);
}

static void test_device_help_text(void)
{
    g_autofree char *all = device_help_text(virt_device_classes, NULL, NULL);
    g_autofree char *pl011 = device_help_text(virt_device_classes, "pl011", NULL);
    g_autofree char *pl011_head = g_strdup_printf("pl011: %s\n", pl011_device_class.desc);
    g_autofree char *fake = device_class_help_text(&fake_class);
    g_autofree char *bare = device_class_help_text(&bare_class);
    g_autoptr(GError) err = NULL;

    g_assert_nonnull(all);
    g_assert_nonnull(strstr(all, pl011_head));
    g_assert_nonnull(strstr(all, "-device DRIVER,help"));
    for (const DeviceClass *const *dc = virt_device_classes; *dc; dc++) {
        g_autofree char *line = g_strdup_printf("  %s: %s\n", (*dc)->name, (*dc)->desc);

        g_assert_nonnull(strstr(all, line));
    }

    g_assert_nonnull(pl011);
    g_assert_true(g_str_has_prefix(pl011, pl011_head));
    /* every property of the real model is listed */
    for (const Property *p = pl011_device_class.props; p && p->name; p++) {
        g_autofree char *want = g_strdup_printf("  %s=<", p->name);

        g_assert_nonnull(strstr(pl011, want));
    }

    g_assert_true(g_str_has_prefix(fake, "fake: A device for tests\n"));
    g_assert_nonnull(strstr(fake, "  label=<string>: a name for it\n"));
    g_assert_nonnull(strstr(fake, "  enabled=<bool (on/off)>: switch it on\n"));
    g_assert_nonnull(strstr(fake, "  count=<uint64"));
    g_assert_nonnull(strstr(fake, ">: how many\n"));
    g_assert_nonnull(strstr(fake, "  window=<size"));
    g_assert_nonnull(strstr(fake, ">: how big\n"));
    /* in table order */
    g_assert_true(strstr(fake, "label=") < strstr(fake, "window="));
    g_assert_nonnull(strstr(bare, "(no properties)"));

    g_assert_null(device_help_text(virt_device_classes, "nosuch", &err));
    assert_message(err, "-device nosuch: unknown device type (try -device help)", NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/options/opt-list/basic", test_opt_list_basic);
    g_test_add_func("/options/opt-list/escapes", test_opt_list_escapes);
    g_test_add_func("/options/opt-list/implied-first", test_opt_list_implied_first);
    g_test_add_func("/options/opt-list/help", test_opt_list_help);
    g_test_add_func("/options/opt-list/errors", test_opt_list_errors);
    g_test_add_func("/options/opt-list/get-last", test_opt_list_get_last);
    g_test_add_func("/options/parse-size", test_parse_size);
    g_test_add_func("/options/parse-uint64", test_parse_uint64);
    g_test_add_func("/options/parse-bool", test_parse_bool);
    g_test_add_func("/options/args/defaults", test_args_defaults);
    g_test_add_func("/options/args/full", test_args_full);
    g_test_add_func("/options/args/long-forms", test_args_long_forms);
    g_test_add_func("/options/args/help-version", test_args_help_version);
    g_test_add_func("/options/args/machine-errors", test_args_machine_errors);
    g_test_add_func("/options/args/ram-errors", test_args_ram_errors);
    g_test_add_func("/options/args/smp", test_args_smp);
    g_test_add_func("/options/args/cpu", test_args_cpu);
    g_test_add_func("/options/args/serial", test_args_serial);
    g_test_add_func("/options/args/object-accel", test_args_object_accel);
    g_test_add_func("/options/args/d", test_args_d);
    g_test_add_func("/options/args/reboot-sandbox", test_args_reboot_sandbox);
    g_test_add_func("/options/args/qmp", test_args_qmp);
    g_test_add_func("/options/args/device", test_args_device);
    g_test_add_func("/options/args/files", test_args_files);
    g_test_add_func("/options/args/unknown-option", test_args_unknown_option);
    g_test_add_func("/options/args/missing-argument", test_args_missing_argument);
    g_test_add_func("/options/args/errp", test_args_error_keeps_errp);
    g_test_add_func("/options/usage", test_usage);
    g_test_add_func("/qdev/values", test_device_values);
    g_test_add_func("/qdev/set-flags", test_device_set_flags);
    g_test_add_func("/qdev/last-wins", test_device_last_wins);
    g_test_add_func("/qdev/unknown-property", test_device_unknown_property);
    g_test_add_func("/qdev/type-errors", test_device_type_errors);
    g_test_add_func("/qdev/create-lookup", test_device_create_lookup);
    g_test_add_func("/qdev/table", test_device_table);
    g_test_add_func("/qdev/help-text", test_device_help_text);
    return g_test_run();
}
