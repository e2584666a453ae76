// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of what a distribution packages: `meson install --destdir` puts armpass in
 * bindir, its manual page armpass.1 in mandir/man1 and the documents (README.md, every .md of
 * docs/ and the chart performance.md shows) in datadir/doc/armpass; the manual page renders
 * without a warning (groff -man -ww, else man --warnings -l); and it names every option that
 * `armpass --help` and `armpass probe --help` list, and no option they do not, so that the
 * two cannot drift apart. Needs meson on PATH (found at set-up); no /dev access.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>

static const char *meson_path, *build_root, *source_root, *armpass_path;
static const char *prefix, *bindir, *mandir, *datadir, *version;
static char *destdir;
static bool installed;

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

/* Runs argv (NULL-terminated) with envp (NULL: ours); the exit status, or 128 + signal. */
static void run(Run *r, const char *const *argv, char **envp)
{
    g_autoptr(GError) err = NULL;
    int wait;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, envp,
                               G_SPAWN_STDIN_FROM_DEV_NULL | G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &r->out, &r->err, &wait, &err));
    g_assert_no_error(err);
    r->status = WIFEXITED(wait) ? WEXITSTATUS(wait) : 128 + WTERMSIG(wait);
}

/* DESTDIR + prefix + dir (dir as meson gives it: relative to prefix, or absolute). */
static char *installed_path(const char *dir, const char *leaf)
{
    if (g_path_is_absolute(dir)) {
        return g_build_filename(destdir, dir, leaf, NULL);
    }
    return g_build_filename(destdir, prefix, dir, leaf, NULL);
}

/* meson install --destdir, once per run (the tests after the first read what it left). */
static void install_once(void)
{
    g_auto(Run) r = { 0 };
    const char *argv[] = { meson_path, "install", "-C", build_root, "--no-rebuild", "--quiet",
                           "--destdir", destdir, NULL };

    if (installed) {
        return;
    }
    run(&r, argv, NULL);
    if (r.status != 0) {
        g_test_message("meson install: %s%s", r.out, r.err);
    }
    g_assert_cmpint(r.status, ==, 0);
    installed = true;
}

static void assert_same_file(const char *installed_file, const char *source_file)
{
    g_autofree char *a = NULL, *b = NULL;
    gsize la, lb;

    g_test_message("%s", installed_file);
    g_assert_true(g_file_get_contents(installed_file, &a, &la, NULL));
    g_assert_true(g_file_get_contents(source_file, &b, &lb, NULL));
    g_assert_cmpmem(a, la, b, lb);
}

/* The binary (which runs and says its version), the manual page, and each document. */
static void test_installed_files(void)
{
    g_autofree char *bin = installed_path(bindir, "armpass");
    g_autofree char *man = installed_path(mandir, "man1/armpass.1");
    g_autofree char *docs = g_build_filename(source_root, "docs", NULL);
    g_autofree char *docdir = installed_path(datadir, "doc/armpass");
    g_autofree char *want_version = g_strdup_printf("armpass %s\n", version);
    g_autoptr(GDir) d = NULL;
    g_auto(Run) r = { 0 };
    const char *argv[] = { bin, "-version", NULL };
    const char *name;
    unsigned n = 0;

    install_once();
    g_assert_true(g_file_test(bin, G_FILE_TEST_IS_EXECUTABLE));
    run(&r, argv, NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_cmpstr(r.out, ==, want_version);
    {
        g_autofree char *src = g_build_filename(docs, "armpass.1", NULL);
        assert_same_file(man, src);
    }
    d = g_dir_open(docs, 0, NULL);
    g_assert_nonnull(d);
    while ((name = g_dir_read_name(d))) {
        if (g_str_has_suffix(name, ".md") || g_str_has_suffix(name, ".png")) {
            g_autofree char *dst = g_build_filename(docdir, name, NULL);
            g_autofree char *src = g_build_filename(docs, name, NULL);
            assert_same_file(dst, src);
            n++;
        }
    }
    g_assert_cmpuint(n, >=, 7);
    {
        g_autofree char *dst = g_build_filename(docdir, "README.md", NULL);
        g_autofree char *src = g_build_filename(source_root, "README.md", NULL);
        assert_same_file(dst, src);
    }
}

/* groff's -ww turns on every warning; the page must give none. */
static void test_man_renders(void)
{
    g_autofree char *page = g_build_filename(source_root, "docs", "armpass.1", NULL);
    g_auto(Run) r = { 0 };
    g_auto(GStrv) env = g_environ_setenv(g_get_environ(), "LC_ALL", "C.UTF-8", TRUE);
    g_autofree char *groff = g_find_program_in_path("groff");
    g_autofree char *man = g_find_program_in_path("man");

    if (groff) {
        const char *argv[] = { groff, "-man", "-Tutf8", "-ww", "-z", page, NULL };
        run(&r, argv, env);
    } else if (man) {
        const char *argv[] = { man, "--warnings=w", "-l", page, NULL };
        env = g_environ_setenv(env, "MANPAGER", "cat", TRUE);
        run(&r, argv, env);
    } else {
        g_test_skip("neither groff nor man (scripts/setup-host.sh installs groff-base, man-db)");
        return;
    }
    g_test_message("stderr: %s", r.err);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_cmpstr(r.err, ==, "");
}

/* Adds the options a --help line starts with: "  -machine, -M TYPE..." gives -machine and
 * -M; "  --sysfs=ROOT   read ..." gives --sysfs. Other lines give nothing. */
static void help_line_options(const char *line, GHashTable *out)
{
    g_auto(GStrv) words = NULL;

    if (!g_str_has_prefix(line, "  -")) {
        return;
    }
    words = g_strsplit_set(line + 2, " =", -1);
    for (unsigned i = 0; words[i] && words[i][0] == '-'; i++) {
        bool more = g_str_has_suffix(words[i], ",");

        if (more) {
            words[i][strlen(words[i]) - 1] = '\0';
        }
        g_hash_table_add(out, g_strdup(words[i]));
        if (!more) {
            break;
        }
    }
}

static void help_options(const char *const *argv, GHashTable *out)
{
    g_auto(Run) r = { 0 };
    g_auto(GStrv) lines = NULL;

    run(&r, argv, NULL);
    g_assert_cmpint(r.status, ==, 0);
    lines = g_strsplit(r.out, "\n", -1);
    for (unsigned i = 0; lines[i]; i++) {
        help_line_options(lines[i], out);
    }
}

/* The page's source as text: "\-" is "-", font changes and "\%" gone. */
static char *man_text(const char *src)
{
    g_autoptr(GRegex) fonts = g_regex_new("\\\\f[BIRP]|\\\\%|\\\\&", 0, 0, NULL);
    g_autofree char *dashes = NULL;
    g_auto(GStrv) parts = g_strsplit(src, "\\-", -1);

    dashes = g_strjoinv("-", parts);
    return g_regex_replace_literal(fonts, dashes, -1, 0, "", 0, NULL);
}

/* Whether text has opt as a whole word (not inside a longer option or name). */
static bool has_option(const char *text, const char *opt)
{
    g_autofree char *quoted = g_regex_escape_string(opt, -1);
    g_autofree char *pattern = g_strdup_printf("(^|[^A-Za-z0-9_-])%s($|[^A-Za-z0-9_-])",
                                               quoted);

    return g_regex_match_simple(pattern, text, G_REGEX_MULTILINE, 0);
}

/* The options of a section's .TP tags: ".BR \-machine ", " \-M ..." gives -machine, -M. */
static void man_section_options(const char *text, const char *section, GHashTable *out)
{
    g_autofree char *head = g_strdup_printf(".SH %s\n", section);
    g_auto(GStrv) lines = NULL;
    const char *start = strstr(text, head);
    bool tag = false;

    g_assert_nonnull(start);
    lines = g_strsplit(start + strlen(head), "\n", -1);
    for (unsigned i = 0; lines[i] && !g_str_has_prefix(lines[i], ".SH "); i++) {
        if (g_str_equal(lines[i], ".TP")) {
            tag = true;
            continue;
        }
        if (tag) {
            g_auto(GStrv) words = g_strsplit_set(lines[i], " \"", -1);

            for (unsigned w = 1; words[w]; w++) {
                if (words[w][0] == '-' && words[w][1]) {
                    g_hash_table_add(out, g_strdup(words[w]));
                } else if (words[w][0] && !g_str_equal(words[w], ",")) {
                    break; /* the option's argument: no more names */
                }
            }
        }
        tag = false;
    }
}

/* Every option armpass --help (and armpass probe --help) lists is in the page, and each
 * option the page's OPTIONS (and THE HOST PROBE) section describes is one of them. */
static void test_man_covers_help(void)
{
    g_autofree char *page = g_build_filename(source_root, "docs", "armpass.1", NULL);
    g_autofree char *src = NULL, *text = NULL, *th = NULL;
    g_autoptr(GHashTable) help = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) probe = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) man = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) man_probe = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                            NULL);
    const char *help_argv[] = { armpass_path, "--help", NULL };
    const char *probe_argv[] = { armpass_path, "probe", "--help", NULL };
    GHashTableIter it;
    gpointer opt;

    g_assert_true(g_file_get_contents(page, &src, NULL, NULL));
    text = man_text(src);
    th = g_strdup_printf(".TH ARMPASS 1 ");
    g_assert_true(g_str_has_prefix(strstr(text, th), th));
    {
        g_autofree char *want = g_strdup_printf("\"armpass %s\"", version);
        g_assert_nonnull(strstr(strstr(text, th), want)); /* the page's version is armpass's */
    }
    help_options(help_argv, help);
    help_options(probe_argv, probe);
    g_assert_cmpuint(g_hash_table_size(help), >=, 25);
    g_assert_true(g_hash_table_contains(help, "-machine"));
    g_assert_true(g_hash_table_contains(help, "-M"));
    g_assert_true(g_hash_table_contains(probe, "--sysfs"));
    g_hash_table_iter_init(&it, help);
    while (g_hash_table_iter_next(&it, &opt, NULL)) {
        g_test_message("%s", (const char *)opt);
        if (!has_option(text, opt)) {
            g_error("armpass --help lists %s, which docs/armpass.1 does not name",
                    (const char *)opt);
        }
    }
    g_hash_table_iter_init(&it, probe);
    while (g_hash_table_iter_next(&it, &opt, NULL)) {
        if (!has_option(text, opt)) {
            g_error("armpass probe --help lists %s, which docs/armpass.1 does not name",
                    (const char *)opt);
        }
    }
    man_section_options(text, "OPTIONS", man);
    man_section_options(text, "THE HOST PROBE", man_probe);
    g_hash_table_iter_init(&it, help);
    while (g_hash_table_iter_next(&it, &opt, NULL)) {
        if (!g_hash_table_contains(man, opt)) {
            g_error("armpass --help lists %s, which the OPTIONS section of docs/armpass.1 does "
                    "not describe", (const char *)opt);
        }
    }
    g_hash_table_iter_init(&it, probe);
    while (g_hash_table_iter_next(&it, &opt, NULL)) {
        if (!g_hash_table_contains(man_probe, opt)) {
            g_error("armpass probe --help lists %s, which THE HOST PROBE section of "
                    "docs/armpass.1 does not describe", (const char *)opt);
        }
    }
    g_hash_table_iter_init(&it, man);
    while (g_hash_table_iter_next(&it, &opt, NULL)) {
        if (!g_hash_table_contains(help, opt)) {
            g_error("docs/armpass.1 describes %s, which armpass --help does not list",
                    (const char *)opt);
        }
    }
    g_hash_table_iter_init(&it, man_probe);
    while (g_hash_table_iter_next(&it, &opt, NULL)) {
        if (!g_hash_table_contains(probe, opt)) {
            g_error("docs/armpass.1 describes probe's %s, which armpass probe --help does not "
                    "list", (const char *)opt);
        }
    }
}

static const char *env_or_die(const char *name)
{
    const char *v = g_getenv(name);

    if (!v || !*v) {
        g_error("%s is not set (tests/unit/meson.build sets it)", name);
    }
    return v;
}

static int rm_tree(const char *path)
{
    g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(path, name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK)) {
            rm_tree(p);
        } else {
            g_unlink(p);
        }
    }
    return g_rmdir(path);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    meson_path = env_or_die("MESON");
    build_root = env_or_die("BUILD_ROOT");
    source_root = env_or_die("SOURCE_ROOT");
    armpass_path = env_or_die("ARMPASS");
    prefix = env_or_die("PREFIX");
    bindir = env_or_die("BINDIR");
    mandir = env_or_die("MANDIR");
    datadir = env_or_die("DATADIR");
    version = env_or_die("VERSION");
    destdir = g_dir_make_tmp("armpass-install-XXXXXX", NULL);
    g_assert_nonnull(destdir);
    g_test_add_func("/install/files", test_installed_files);
    g_test_add_func("/install/man-renders", test_man_renders);
    g_test_add_func("/install/man-covers-help", test_man_covers_help);
    ret = g_test_run();
    rm_tree(destdir);
    g_free(destdir);
    return ret;
}
