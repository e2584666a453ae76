// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-options: the command line and the option strings of -M and -device. The input is
 * split at NUL bytes into arguments (at most 64): they are parsed as armpass's argv
 * (armpass_parse_args()), and every -device that parsed is created (device_create(), its
 * properties set by type) and freed, or its help text made. Each argument is also taken
 * alone as an option string (opt_list_parse(), with and without an implied first word) whose
 * pairs are set as properties of every device model (device_create_from_class()), and as a
 * size, a number and a boolean (parse_size(), parse_uint64(), parse_bool()).
 * Oracles: an option string written back (",," for commas) parses to the same list; a parsed
 * configuration is in range (RAM a multiple of 2 MiB within the limits, 1-8 vCPUs, machine
 * virt, each -device with a type or help); numbers print back to themselves and a bare number
 * is the same as a size in bytes, or in MiB with -m's default suffix; without a newline in
 * the input, every error message is one line.
 */
#include "fuzz-common.h"
#include "hw/arm/virt.h"
#include "hw/core/device.h"
#include "system/hostmem.h"
#include "system/options.h"

#include <inttypes.h>
#include <string.h>

#define MAX_ARGS 64

static bool input_has_newline;

static void check_error(GError *err)
{
    FUZZ_CHECK(err != NULL);
    FUZZ_CHECK(err->message && *err->message);
    if (!input_has_newline) {
        FUZZ_CHECK(strchr(err->message, '\n') == NULL);
    }
}

/* "first,key=value,..." with every comma doubled, as opt_list_parse() wants it. */
static void append_escaped(GString *s, const char *str)
{
    for (const char *c = str; *c; c++) {
        if (*c == ',') {
            g_string_append_c(s, ',');
        }
        g_string_append_c(s, *c);
    }
}

static char *opt_list_print(const OptList *ol)
{
    GString *s = g_string_new(NULL);

    if (ol->first) {
        append_escaped(s, ol->first);
    }
    for (guint i = 0; i < ol->pairs->len; i++) {
        const OptPair *p = g_ptr_array_index(ol->pairs, i);

        if (s->len) {
            g_string_append_c(s, ',');
        }
        append_escaped(s, p->key);
        g_string_append_c(s, '=');
        append_escaped(s, p->value);
    }
    return g_string_free(s, FALSE);
}

static void check_same_list(const OptList *a, const OptList *b)
{
    FUZZ_CHECK((a->first == NULL) == (b->first == NULL));
    FUZZ_CHECK(!a->first || strcmp(a->first, b->first) == 0);
    FUZZ_CHECK(a->pairs->len == b->pairs->len);
    for (guint i = 0; i < a->pairs->len; i++) {
        const OptPair *x = g_ptr_array_index(a->pairs, i);
        const OptPair *y = g_ptr_array_index(b->pairs, i);

        FUZZ_CHECK(strcmp(x->key, y->key) == 0 && strcmp(x->value, y->value) == 0);
    }
}

static void create_all(const OptList *ol)
{
    for (const DeviceClass *const *dc = virt_device_classes; *dc; dc++) {
        GError *err = NULL;
        DeviceState *dev = device_create_from_class(*dc, ol, 7, &err);

        FUZZ_CHECK((dev != NULL) == (err == NULL));
        if (dev) {
            FUZZ_CHECK(dev->klass == *dc && !dev->realized);
            device_free(dev);
        } else {
            check_error(err);
            g_error_free(err);
        }
    }
}

static void option_string(const char *str, bool implied_first)
{
    OptList *ol = NULL, *again = NULL;
    GError *err = NULL;
    char *printed;

    if (!opt_list_parse(str, implied_first, &ol, &err)) {
        check_error(err);
        FUZZ_CHECK(ol == NULL);
        g_error_free(err);
        return;
    }
    FUZZ_CHECK(err == NULL && ol != NULL);
    FUZZ_CHECK(implied_first || ol->first == NULL);
    FUZZ_CHECK(ol->first || ol->pairs->len > 0);
    for (guint i = 0; i < ol->pairs->len; i++) {
        const OptPair *p = g_ptr_array_index(ol->pairs, i);
        const char *last = opt_list_get(ol, p->key);

        FUZZ_CHECK(*p->key && !strchr(p->key, '='));
        FUZZ_CHECK(last != NULL);
        for (guint j = i + 1; j < ol->pairs->len; j++) {
            const OptPair *q = g_ptr_array_index(ol->pairs, j);
            if (strcmp(q->key, p->key) == 0) {
                p = q;
            }
        }
        FUZZ_CHECK(last == p->value);
    }
    printed = opt_list_print(ol);
    FUZZ_CHECK(opt_list_parse(printed, implied_first, &again, NULL));
    check_same_list(ol, again);
    if (implied_first) {
        create_all(ol);
    }
    g_free(printed);
    opt_list_free(again);
    opt_list_free(ol);
}

static void scalars(const char *str)
{
    GError *err = NULL;
    uint64_t n = 0, bytes = 0, mib = 0;
    bool is_n, is_bytes, is_mib, b;

    is_n = parse_uint64(str, &n, &err);
    if (!is_n) {
        check_error(err);
        g_clear_error(&err);
    } else {
        char *dec = g_strdup_printf("%" PRIu64, n);
        char *hex = g_strdup_printf("0x%" PRIx64, n);
        uint64_t back = ~n;

        FUZZ_CHECK(parse_uint64(dec, &back, NULL) && back == n);
        FUZZ_CHECK(parse_uint64(hex, &back, NULL) && back == n);
        g_free(dec);
        g_free(hex);
    }
    is_bytes = parse_size(str, 0, &bytes, &err);
    if (!is_bytes) {
        check_error(err);
        g_clear_error(&err);
    }
    is_mib = parse_size(str, 'M', &mib, &err);
    if (!is_mib) {
        check_error(err);
        g_clear_error(&err);
    }
    if (is_n) {
        /* a bare number: bytes, or MiB for -m (when that fits in 64 bits) */
        FUZZ_CHECK(is_bytes && bytes == n);
        FUZZ_CHECK(is_mib == (n <= UINT64_MAX >> 20));
        FUZZ_CHECK(!is_mib || mib == n << 20);
    } else if (is_bytes) {
        /* with a suffix: the default suffix changes nothing */
        FUZZ_CHECK(is_mib && mib == bytes);
    }
    if (!parse_bool(str, &b, &err)) {
        check_error(err);
        g_clear_error(&err);
    }
}

static void check_config(const ArmpassConfig *cfg)
{
    FUZZ_CHECK(cfg->machine && strcmp(cfg->machine, "virt") == 0);
    FUZZ_CHECK(cfg->smp >= 1 && cfg->smp <= ARMPASS_MAX_CPUS);
    FUZZ_CHECK(cfg->ram_size >= ARMPASS_MIN_RAM && cfg->ram_size <= ARMPASS_MAX_RAM);
    FUZZ_CHECK(cfg->ram_size % (2 * 1024 * 1024) == 0);
    /* guest RAM's backend is resolved, of guest RAM's size */
    FUZZ_CHECK(cfg->ram_backend && cfg->ram_backend->size == cfg->ram_size);
    FUZZ_CHECK(cfg->ram_backend->prealloc_threads >= 1);
    FUZZ_CHECK(cfg->gic_version == GIC_VERSION_HOST || cfg->gic_version == GIC_VERSION_2 ||
               cfg->gic_version == GIC_VERSION_3);
    FUZZ_CHECK((cfg->serial == SERIAL_FILE) == (cfg->serial_path != NULL));
    FUZZ_CHECK(!cfg->dumpdtb || *cfg->dumpdtb);
    for (guint i = 0; i < cfg->devices->len; i++) {
        const OptList *ol = g_ptr_array_index(cfg->devices, i);
        GError *err = NULL;

        FUZZ_CHECK(ol->first || opt_list_get(ol, "help"));
        if (opt_list_get(ol, "help")) {
            char *text = device_help_text(virt_device_classes, ol->first, &err);

            FUZZ_CHECK((text != NULL) == (err == NULL));
            if (err) {
                check_error(err);
                g_error_free(err);
            }
            g_free(text);
        } else {
            DeviceState *dev = device_create(virt_device_classes, ol, i, &err);

            FUZZ_CHECK((dev != NULL) == (err == NULL));
            if (dev) {
                device_free(dev);
            } else {
                check_error(err);
                g_error_free(err);
            }
        }
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_glib_init();
    FUZZ_CHECK(armpass_usage() != NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a NUL after the last argument; the pieces point into this copy */
    char *text = g_malloc(size + 1);
    char *argv[MAX_ARGS + 2];
    int argc = 1;
    ArmpassConfig cfg;
    GError *err = NULL;

    memcpy(text, data, size);
    text[size] = '\0';
    input_has_newline = memchr(data, '\n', size) != NULL;
    argv[0] = (char *)"armpass";
    for (size_t at = 0; at < size && argc <= MAX_ARGS; at += strlen(text + at) + 1) {
        argv[argc++] = text + at;
    }
    argv[argc] = NULL;

    armpass_config_init(&cfg);
    if (armpass_parse_args(argc, argv, &cfg, &err)) {
        FUZZ_CHECK(err == NULL);
        check_config(&cfg);
    } else {
        check_error(err);
        g_error_free(err);
    }
    armpass_config_clear(&cfg);

    for (int i = 1; i < argc; i++) {
        option_string(argv[i], true);
        option_string(argv[i], false);
        scalars(argv[i]);
    }
    g_free(text);
    return 0;
}
