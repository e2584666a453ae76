// SPDX-License-Identifier: GPL-2.0-only
/* -machine, -m, -smp and -cpu: the board, its RAM size and its vCPUs, parsed into an
 * ArmpassConfig (QEMU's spellings; docs/system/arm/virt.rst and cpu-features.rst of QEMU). */
#include "system/options.h"

#include "options-internal.h"

#include <string.h>

bool opt_machine(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    g_autoptr(OptList) ol = NULL;
    const char *gic = NULL;
    const char *dumpdtb = NULL;
    const char *backend = NULL;
    int thp = ps->cfg->machine_thp;
    bool direct_map = ps->cfg->direct_map;
    GicVersion version = ps->cfg->gic_version;

    if (!opt_list_parse(arg, true, &ol, errp)) {
        g_prefix_error(errp, "%s %s: ", name, arg);
        return false;
    }
    if (opt_list_get(ol, "help")) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: the only machine type is \"virt\" (ARM virtual machine); its "
                    "properties are gic-version=2|3|host, dumpdtb=FILE, memory-backend=ID, "
                    "thp=on|off and direct-map=on|off (e.g. -M virt,gic-version=3)", name, arg);
        return false;
    }
    if (ol->first && strcmp(ol->first, "virt") != 0) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                    "%s %s: unknown machine type \"%s\" (armpass supports only \"virt\", "
                    "e.g. -M virt)", name, arg, ol->first);
        return false;
    }
    for (guint i = 0; i < ol->pairs->len; i++) {
        const OptPair *pair = g_ptr_array_index(ol->pairs, i);

        if (strcmp(pair->key, "gic-version") == 0) {
            gic = pair->value;
        } else if (strcmp(pair->key, "dumpdtb") == 0) {
            dumpdtb = pair->value;
        } else if (strcmp(pair->key, "memory-backend") == 0) {
            backend = pair->value;
        } else if (strcmp(pair->key, "direct-map") == 0) {
            if (!parse_bool(pair->value, &direct_map, NULL)) {
                g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                            "%s %s: direct-map=%s is not on or off (direct-map=on places guest "
                            "RAM at its host-physical addresses)", name, arg, pair->value);
                return false;
            }
        } else if (strcmp(pair->key, "thp") == 0) {
            bool on;
            if (!parse_bool(pair->value, &on, NULL)) {
                g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                            "%s %s: thp=%s is not on or off (thp=off leaves guest RAM to "
                            "base pages)", name, arg, pair->value);
                return false;
            }
            thp = on;
        } else {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                        "%s %s: unknown machine property \"%s\" (virt accepts gic-version, "
                        "dumpdtb, memory-backend, thp and direct-map)", name, arg, pair->key);
            return false;
        }
    }
    if (gic) {
        if (strcmp(gic, "2") == 0) {
            version = GIC_VERSION_2;
        } else if (strcmp(gic, "3") == 0) {
            version = GIC_VERSION_3;
        } else if (strcmp(gic, "host") == 0 || strcmp(gic, "max") == 0) {
            version = GIC_VERSION_HOST;
        } else {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                        "%s %s: gic-version \"%s\" is not supported (use 2, 3 or host)", name,
                        arg, gic);
            return false;
        }
    }
    if (dumpdtb && *dumpdtb == '\0') {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: dumpdtb needs a file name (e.g. -M virt,dumpdtb=virt.dtb)", name,
                    arg);
        return false;
    }
    if (backend && *backend == '\0') {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: memory-backend needs the id of an -object memory-backend-* (e.g. "
                    "-M virt,memory-backend=mem0)", name, arg);
        return false;
    }
    ps->cfg->gic_version = version;
    ps->cfg->machine_thp = thp;
    ps->cfg->direct_map = direct_map;
    if (dumpdtb) {
        options_set_str(&ps->cfg->dumpdtb, dumpdtb);
    }
    if (backend) {
        options_set_str(&ps->cfg->memory_backend, backend);
    }
    options_set_str(&ps->cfg->machine, "virt");
    return true;
}

/*
 * For -m and -smp, which take "VALUE" or QEMU's "key=VALUE": the value, or NULL with *errp set.
 * The returned string lives in *ol.
 */
static const char *single_value(const char *name, const char *arg, const char *key,
                                const char *usage, OptList **ol, GError **errp)
{
    const char *value;

    if (!opt_list_parse(arg, true, ol, errp)) {
        g_prefix_error(errp, "%s %s: ", name, arg);
        return NULL;
    }
    for (guint i = 0; i < (*ol)->pairs->len; i++) {
        const OptPair *pair = g_ptr_array_index((*ol)->pairs, i);

        if (strcmp(pair->key, key) != 0) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                        "%s %s: \"%s\" is not supported (use %s)", name, arg, pair->key, usage);
            return NULL;
        }
    }
    value = opt_list_get(*ol, key);
    return value ? value : (*ol)->first;
}

bool opt_m(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    g_autoptr(OptList) ol = NULL;
    const char *value = single_value(name, arg, "size", "-m SIZE or -m size=SIZE, e.g. -m 512M",
                                     &ol, errp);
    uint64_t size;

    if (!value) {
        return false;
    }
    if (!parse_size(value, 'M', &size, errp)) {
        g_prefix_error(errp, "%s: ", name);
        return false;
    }
    if (size < ARMPASS_MIN_RAM) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s: \"%s\" is too little RAM (use at least %lluM, e.g. -m 512M)", name,
                    value, ARMPASS_MIN_RAM >> 20);
        return false;
    }
    if (size > ARMPASS_MAX_RAM) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s: \"%s\" is more RAM than armpass supports (use at most %lluG)", name,
                    value, ARMPASS_MAX_RAM >> 30);
        return false;
    }
    if (size % (2 * 1024 * 1024) != 0) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s: \"%s\" is not a multiple of 2 MiB (round it, e.g. -m 512M)", name,
                    value);
        return false;
    }
    ps->cfg->ram_size = size;
    ps->cfg->ram_size_given = true;
    return true;
}

bool opt_smp(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    g_autoptr(OptList) ol = NULL;
    const char *value = single_value(name, arg, "cpus", "-smp N or -smp cpus=N, e.g. -smp 4",
                                     &ol, errp);
    uint64_t n;

    if (!value) {
        return false;
    }
    if (!parse_uint64(value, &n, errp)) {
        g_prefix_error(errp, "%s: ", name);
        return false;
    }
    if (n < 1 || n > ARMPASS_MAX_CPUS) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s: %s CPUs is out of range (use 1 to %d, e.g. -smp 4)", name, value,
                    ARMPASS_MAX_CPUS);
        return false;
    }
    ps->cfg->smp = (unsigned)n;
    return true;
}

const char *armpass_cpu_help(void)
{
    return "CPU models (-cpu MODEL[,SWITCH=on|off...]):\n"
           "  host  the host's CPU as KVM presents it to a guest (the one model under KVM)\n"
           "  max   the same as host (QEMU's name for the most a CPU can have)\n"
           "Switches: each feature is on where this host's KVM offers it; =off leaves it out;\n"
           "=on where KVM does not offer it is an error before any guest is built.\n"
           "  pmu=on|off     the PMUv3: performance counters (perf); overflow interrupt on\n"
           "                 PPI 7 (INTID 23), node arm,armv8-pmuv3\n"
           "  sve=on|off     the Scalable Vector Extension\n"
           "  sveN=on|off    SVE vector length N bits, N = 128, 256, ... 2048: sveN=on makes\n"
           "                 the largest N given the longest length (every shorter one the\n"
           "                 host offers stays on: KVM can only cap the length); sveN=off\n"
           "                 alone leaves out N and every longer length\n"
           "  pauth=on|off   pointer authentication (address and generic keys)\n"
           "  e.g. -cpu host,pmu=off,sve256=on\n";
}

/* sveN with N a multiple of 128 from 128 to 2048: *vq = N / 128. */
static bool cpu_sve_length_key(const char *key, unsigned *vq)
{
    guint64 bits;

    if (!g_str_has_prefix(key, "sve") || !g_ascii_isdigit(key[3]) ||
        !g_ascii_string_to_unsigned(key + 3, 10, 128, 128 * ARMPASS_SVE_MAX_VQ, &bits, NULL) ||
        bits % 128 != 0) {
        return false;
    }
    *vq = (unsigned)(bits / 128);
    return true;
}

/* Source: QEMU's -cpu spelling (docs/system/arm/cpu-features.rst of QEMU); the features are
 * KVM_ARM_VCPU_INIT's (api.rst 4.82). */
bool opt_cpu(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    g_autoptr(OptList) ol = NULL;
    ArmpassCpuConfig cpu = { .pmu = ONOFF_AUTO, .sve = ONOFF_AUTO, .pauth = ONOFF_AUTO };

    if (!opt_list_parse(arg, true, &ol, errp)) {
        g_prefix_error(errp, "%s %s: ", name, arg);
        return false;
    }
    if (opt_list_get(ol, "help") || (ol->first && strcmp(ol->first, "help") == 0)) {
        ps->cfg->show_cpu_help = true;
        return true;
    }
    if (!ol->first || (strcmp(ol->first, "host") != 0 && strcmp(ol->first, "max") != 0)) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                    "%s %s: unknown CPU model \"%s\" (under KVM the guest gets the host's CPU: "
                    "use -cpu host, or max; -cpu help lists the switches)", name, arg,
                    ol->first ? ol->first : "");
        return false;
    }
    for (guint i = 0; i < ol->pairs->len; i++) {
        const OptPair *pair = g_ptr_array_index(ol->pairs, i);
        OnOffAuto *sw = NULL;
        unsigned vq = 0;
        bool on;

        if (strcmp(pair->key, "pmu") == 0) {
            sw = &cpu.pmu;
        } else if (strcmp(pair->key, "sve") == 0) {
            sw = &cpu.sve;
        } else if (strcmp(pair->key, "pauth") == 0) {
            sw = &cpu.pauth;
        } else if (!cpu_sve_length_key(pair->key, &vq)) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                        "%s %s: unknown switch \"%s\" (armpass takes pmu, sve, pauth and sveN "
                        "for N = 128, 256, ... 2048 bits; see -cpu help)", name, arg, pair->key);
            return false;
        }
        if (!parse_bool(pair->value, &on, NULL)) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                        "%s %s: %s=%s is not on or off (e.g. -cpu host,%s=off)", name, arg,
                        pair->key, pair->value, pair->key);
            return false;
        }
        if (sw) {
            *sw = on ? ONOFF_ON : ONOFF_OFF;
        } else if (on) {
            cpu.sve_vq_on |= 1u << (vq - 1);
            cpu.sve_vq_off &= ~(1u << (vq - 1));
        } else {
            cpu.sve_vq_off |= 1u << (vq - 1);
            cpu.sve_vq_on &= ~(1u << (vq - 1));
        }
    }
    if (cpu.sve == ONOFF_OFF && cpu.sve_vq_on) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: sve=off and sve%u=on contradict each other (drop one)", name, arg,
                    128 * (unsigned)g_bit_nth_msf(cpu.sve_vq_on, -1) + 128);
        return false;
    }
    ps->cfg->cpu = cpu;
    return true;
}
