// SPDX-License-Identifier: GPL-2.0-only
/* The "first,key=value" option strings of -M, -device and -object, and the scalars in them
 * (sizes, numbers, booleans); options.c's command line, QMP's device_add and hot-plug read
 * them. */
#include "system/options.h"

#include <errno.h>
#include <string.h>

G_DEFINE_QUARK(armpass-options-error-quark, armpass_options_error)

/* ---- Option strings ------------------------------------------------------------------- */

static void opt_pair_free(gpointer p)
{
    OptPair *pair = p;

    g_free(pair->key);
    g_free(pair->value);
    g_free(pair);
}

void opt_list_free(OptList *ol)
{
    if (!ol) {
        return;
    }
    g_free(ol->first);
    g_ptr_array_unref(ol->pairs);
    g_free(ol);
}

static void opt_list_add(OptList *ol, const char *key, const char *value)
{
    OptPair *pair = g_new0(OptPair, 1);

    pair->key = g_strdup(key);
    pair->value = g_strdup(value);
    g_ptr_array_add(ol->pairs, pair);
}

bool opt_list_parse(const char *str, bool implied_first, OptList **out, GError **errp)
{
    const char *expected = implied_first ? "NAME[,key=value...]" : "key=value[,key=value...]";
    g_autoptr(OptList) ol = g_new0(OptList, 1);
    const char *p = str;
    bool at_first = true;

    ol->pairs = g_ptr_array_new_with_free_func(opt_pair_free);
    if (*str == '\0') {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "empty option string (expected %s)", expected);
        return false;
    }
    for (;;) {
        g_autoptr(GString) elem = g_string_new(NULL);
        gssize eq = -1; /* where the first '=' is in elem */
        bool more;

        /* One element, up to a single ','; ",," is a literal comma. */
        while (*p) {
            if (*p == ',') {
                if (p[1] != ',') {
                    break;
                }
                p++;
            } else if (*p == '=' && eq < 0) {
                eq = (gssize)elem->len;
            }
            g_string_append_c(elem, *p);
            p++;
        }
        more = *p == ',';
        if (more) {
            p++;
        }

        if (elem->len == 0) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                        "empty element %s \"%s\" (remove the stray comma, or write \",,\" for "
                        "a literal comma)", at_first ? "at the start of" : "at the end of", str);
            return false;
        }
        if (eq < 0) {
            if (strcmp(elem->str, "help") == 0) {
                opt_list_add(ol, "help", "on");
            } else if (at_first && implied_first) {
                ol->first = g_strdup(elem->str);
            } else {
                g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                            "\"%s\" is not key=value (expected %s; write \",,\" for a comma "
                            "inside a value)", elem->str, expected);
                return false;
            }
        } else if (eq == 0) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                        "\"%s\" has an empty key (expected key=value)", elem->str);
            return false;
        } else {
            elem->str[eq] = '\0';
            opt_list_add(ol, elem->str, elem->str + eq + 1);
        }
        if (!more) {
            break;
        }
        at_first = false;
    }
    *out = g_steal_pointer(&ol);
    return true;
}

const char *opt_list_get(const OptList *ol, const char *key)
{
    for (guint i = ol->pairs->len; i > 0; i--) {
        const OptPair *pair = g_ptr_array_index(ol->pairs, i - 1);

        if (strcmp(pair->key, key) == 0) {
            return pair->value;
        }
    }
    return NULL;
}

/* ---- Scalars -------------------------------------------------------------------------- */

typedef enum ScanResult {
    SCAN_OK,
    SCAN_NOT_NUMBER,
    SCAN_OVERFLOW,
} ScanResult;

/* Reads a decimal or 0x-hex number at the start of str; *end is what follows it. */
static ScanResult scan_number(const char *str, const char **end, uint64_t *n)
{
    const char *p = str;
    guint base = 10;
    char *e;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
        /* g_ascii_strtoull would take a second "0x" and a sign: allow digits only. */
        if (!g_ascii_isxdigit(p[0]) || (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))) {
            return SCAN_NOT_NUMBER;
        }
    } else if (!g_ascii_isdigit(p[0])) {
        return SCAN_NOT_NUMBER;
    }
    errno = 0;
    *n = g_ascii_strtoull(p, &e, base);
    if (errno == ERANGE) {
        return SCAN_OVERFLOW;
    }
    *end = e;
    return SCAN_OK;
}

/* K, M, G, T (either case) -> the power of 1024 as a shift; -1 for anything else. */
static int suffix_shift(char c)
{
    switch (g_ascii_toupper(c)) {
    case 'K':
        return 10;
    case 'M':
        return 20;
    case 'G':
        return 30;
    case 'T':
        return 40;
    default:
        return -1;
    }
}

bool parse_size(const char *str, char default_suffix, uint64_t *out, GError **errp)
{
    const char *end = NULL;
    uint64_t n = 0;
    int shift = 0;
    ScanResult r = scan_number(str, &end, &n);

    if (r == SCAN_OK) {
        if (*end == '\0') {
            if (default_suffix) {
                shift = suffix_shift(default_suffix);
                g_return_val_if_fail(shift > 0, false);
            }
        } else {
            shift = suffix_shift(*end);
            /* "K" or "KiB" (any case) */
            if (shift < 0 ||
                (end[1] != '\0' && g_ascii_strcasecmp(end + 1, "iB") != 0)) {
                r = SCAN_NOT_NUMBER;
            }
        }
    }
    if (r == SCAN_OK && shift > 0 && n > (UINT64_MAX >> shift)) {
        r = SCAN_OVERFLOW;
    }
    switch (r) {
    case SCAN_NOT_NUMBER:
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "\"%s\" is not a size (use a number with an optional K, M, G or T suffix, "
                    "e.g. 512M)", str);
        return false;
    case SCAN_OVERFLOW:
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "\"%s\" is too large (a size must fit in 64 bits, below 16 EiB)", str);
        return false;
    case SCAN_OK:
        break;
    }
    *out = n << shift;
    return true;
}

bool parse_uint64(const char *str, uint64_t *out, GError **errp)
{
    const char *end = NULL;
    uint64_t n = 0;
    ScanResult r = scan_number(str, &end, &n);

    if (r == SCAN_OK && *end != '\0') {
        r = SCAN_NOT_NUMBER;
    }
    switch (r) {
    case SCAN_NOT_NUMBER:
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "\"%s\" is not a number (use decimal or 0x-prefixed hex, e.g. 4096 or "
                    "0x1000)", str);
        return false;
    case SCAN_OVERFLOW:
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "\"%s\" is too large (the maximum is %" G_GUINT64_FORMAT ")", str,
                    (guint64)UINT64_MAX);
        return false;
    case SCAN_OK:
        break;
    }
    *out = n;
    return true;
}

bool parse_bool(const char *str, bool *out, GError **errp)
{
    static const char *const yes[] = { "on", "yes", "true" };
    static const char *const no[] = { "off", "no", "false" };

    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(str, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (g_ascii_strcasecmp(str, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                "\"%s\" is not a boolean (use on or off)", str);
    return false;
}
