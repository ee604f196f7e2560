/* test_flash.c: both flash backends on the real filesystem (a temporary
 * folder, a regular file standing in for the raw partition). The power-cut
 * tests are in test_flash_faults.c. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "flash.h"

#define SLOT (16 * 1024)

struct fixture {
    char dir[128];
    char part[GH_PATH_MAX];   /* DIR/partition, for the raw backend */
    struct gh_flash f;
    struct gh_error err;
};

static void path_in(const struct fixture *fx, char *out, const char *name)
{
    if (snprintf(out, GH_PATH_MAX, "%s/%s", fx->dir, name) >= GH_PATH_MAX)
        fail_msg("path too long");
}

static void write_file(const struct fixture *fx, const char *name, const void *data, size_t len)
{
    char path[GH_PATH_MAX];
    FILE *fp;
    path_in(fx, path, name);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static int file_exists(const struct fixture *fx, const char *name)
{
    char path[GH_PATH_MAX];
    struct stat st;
    path_in(fx, path, name);
    return stat(path, &st) == 0;
}

static int setup(void **state)
{
    static struct fixture fx;
    const char *tmp = getenv("TMPDIR");
    memset(&fx, 0, sizeof fx);
    snprintf(fx.dir, sizeof fx.dir, "%s/gh-flash-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fx.dir))
        return -1;
    snprintf(fx.part, sizeof fx.part, "%s/partition", fx.dir);
    *state = &fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    DIR *d;
    struct dirent *e;
    flash_close(&fx->f);
    d = opendir(fx->dir);
    if (d) {
        while ((e = readdir(d)) != NULL) {
            char path[GH_PATH_MAX + 256];
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", fx->dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(fx->dir);
    return 0;
}

static void open_dir(struct fixture *fx)
{
    int rc = flash_open_dir(&fx->f, fx->dir, NULL, &fx->err);
    if (rc)
        fail_msg("flash_open_dir: %s", fx->err.msg);
}

static void open_raw(struct fixture *fx)
{
    int rc = flash_open_raw(&fx->f, fx->part, SLOT, NULL, &fx->err);
    if (rc)
        fail_msg("flash_open_raw: %s", fx->err.msg);
}

static void blank_partition(const struct fixture *fx, off_t size)
{
    FILE *fp = fopen(fx->part, "wb");
    assert_non_null(fp);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(truncate(fx->part, size), 0);
}

static void prepare(struct fixture *fx, int raw)
{
    if (raw) {
        blank_partition(fx, 2 * SLOT);
        open_raw(fx);
    } else {
        open_dir(fx);
    }
}

static void reopen(struct fixture *fx, int raw)
{
    flash_close(&fx->f);
    if (raw)
        open_raw(fx);
    else
        open_dir(fx);
}

static void commit1(struct fixture *fx, const char *name, const char *text)
{
    struct flash_file file = { name, text, text ? strlen(text) : 0 };
    int rc = flash_commit(&fx->f, &file, 1, &fx->err);
    if (rc)
        fail_msg("commit %s: %s", name, fx->err.msg);
}

static void assert_holds(struct fixture *fx, const char *name, const char *text)
{
    char buf[256];
    size_t len;
    int rc = flash_read(&fx->f, name, buf, sizeof buf, &len, &fx->err);
    if (rc)
        fail_msg("read %s: %d %s", name, rc, fx->err.msg);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(buf, text, len);
}

static void assert_missing(struct fixture *fx, const char *name)
{
    char buf[16];
    size_t len = 99;
    assert_int_equal(flash_read(&fx->f, name, buf, sizeof buf, &len, &fx->err), GH_E_NOTFOUND);
    assert_int_equal(len, 0);
    assert_string_equal(fx->err.file, name);
}

/* ---- both backends ---- */

static void committed_files_read_back_after_reopen(void **state, int raw)
{
    struct fixture *fx = *state;
    struct flash_file files[] = {
        { "ca.pem", "-----BEGIN CERTIFICATE-----\n", 28 },
        { "certmap.ini", "[certmap]\nversion = 1\n", 22 },
    };
    prepare(fx, raw);
    assert_int_equal(flash_commit(&fx->f, files, 2, &fx->err), 0);
    assert_holds(fx, "ca.pem", "-----BEGIN CERTIFICATE-----\n");
    reopen(fx, raw);
    assert_holds(fx, "ca.pem", "-----BEGIN CERTIFICATE-----\n");
    assert_holds(fx, "certmap.ini", "[certmap]\nversion = 1\n");
}

static void test_dir_committed_files_read_back_after_reopen(void **state)
{
    committed_files_read_back_after_reopen(state, 0);
}

static void test_raw_committed_files_read_back_after_reopen(void **state)
{
    committed_files_read_back_after_reopen(state, 1);
}

static void files_a_commit_does_not_name_stay(void **state, int raw)
{
    struct fixture *fx = *state;
    prepare(fx, raw);
    commit1(fx, "ca.pem", "trust v1");
    commit1(fx, "certmap.ini", "table v1");
    commit1(fx, "ca.pem", "trust v2");
    reopen(fx, raw);
    assert_holds(fx, "ca.pem", "trust v2");
    assert_holds(fx, "certmap.ini", "table v1");
}

static void test_dir_files_a_commit_does_not_name_stay(void **state)
{
    files_a_commit_does_not_name_stay(state, 0);
}

static void test_raw_files_a_commit_does_not_name_stay(void **state)
{
    files_a_commit_does_not_name_stay(state, 1);
}

static void missing_file_reads_as_not_found(void **state, int raw)
{
    struct fixture *fx = *state;
    prepare(fx, raw);
    assert_missing(fx, "crl.pem");   /* empty flash */
    commit1(fx, "ca.pem", "trust");
    assert_missing(fx, "crl.pem");
    assert_non_null(strstr(fx->err.msg, "not in flash"));
}

static void test_dir_missing_file_reads_as_not_found(void **state)
{
    missing_file_reads_as_not_found(state, 0);
}

static void test_raw_missing_file_reads_as_not_found(void **state)
{
    missing_file_reads_as_not_found(state, 1);
}

static void file_larger_than_the_buffer_is_refused_with_its_size(void **state, int raw)
{
    struct fixture *fx = *state;
    char buf[8];
    size_t len = 99;
    prepare(fx, raw);
    commit1(fx, "ca.pem", "0123456789abc");
    assert_int_equal(flash_read(&fx->f, "ca.pem", buf, sizeof buf, &len, &fx->err),
                     GH_E_CAPACITY);
    assert_int_equal(len, 0);
    assert_string_equal(fx->err.file, "ca.pem");
    assert_non_null(strstr(fx->err.msg, "13 bytes"));
    assert_non_null(strstr(fx->err.msg, "8-byte buffer"));
    {   /* Exactly the file's size fits. */
        char exact[13];
        assert_int_equal(flash_read(&fx->f, "ca.pem", exact, sizeof exact, &len, &fx->err), 0);
        assert_int_equal(len, 13);
    }
}

static void test_dir_file_larger_than_the_buffer_is_refused_with_its_size(void **state)
{
    file_larger_than_the_buffer_is_refused_with_its_size(state, 0);
}

static void test_raw_file_larger_than_the_buffer_is_refused_with_its_size(void **state)
{
    file_larger_than_the_buffer_is_refused_with_its_size(state, 1);
}

static void names_that_could_escape_or_collide_are_refused(void **state, int raw)
{
    static const char *const bad[] = {
        "../etc/passwd", "a/b", "/etc/shadow", "..", ".", ".journal", ".generation",
        "ca.pem.tmp", "", "name with space", "tab\tname",
        "a-name-of-thirty-three-characters",
    };
    struct fixture *fx = *state;
    char buf[16];
    size_t len;
    prepare(fx, raw);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct flash_file file = { bad[i], "x", 1 };
        if (flash_read(&fx->f, bad[i], buf, sizeof buf, &len, &fx->err) != GH_E_INVALID)
            fail_msg("read of \"%s\" was not refused", bad[i]);
        if (flash_commit(&fx->f, &file, 1, &fx->err) != GH_E_INVALID)
            fail_msg("commit of \"%s\" was not refused", bad[i]);
        assert_true(fx->err.msg[0] != '\0');
    }
    assert_int_equal(flash_generation(&fx->f), 0);
    assert_int_equal(flash_check_name("a-name-of-thirty-two-characters.", NULL), 0);
    assert_int_equal(flash_check_name("server.key", NULL), 0);
    /* Nothing escaped into the folder above the flash. */
    assert_false(file_exists(fx, "../a"));
}

static void test_dir_names_that_could_escape_or_collide_are_refused(void **state)
{
    names_that_could_escape_or_collide_are_refused(state, 0);
}

static void test_raw_names_that_could_escape_or_collide_are_refused(void **state)
{
    names_that_could_escape_or_collide_are_refused(state, 1);
}

static void generation_goes_up_by_one_per_commit(void **state, int raw)
{
    struct fixture *fx = *state;
    prepare(fx, raw);
    assert_int_equal(flash_generation(&fx->f), 0);
    for (unsigned g = 1; g <= 5; g++) {
        char text[32];
        snprintf(text, sizeof text, "settings %u", g);
        commit1(fx, "settings.ini", text);
        assert_int_equal(flash_generation(&fx->f), g);
    }
    reopen(fx, raw);
    assert_int_equal(flash_generation(&fx->f), 5);
    assert_holds(fx, "settings.ini", "settings 5");
}

static void test_dir_generation_goes_up_by_one_per_commit(void **state)
{
    generation_goes_up_by_one_per_commit(state, 0);
}

static void test_raw_generation_goes_up_by_one_per_commit(void **state)
{
    generation_goes_up_by_one_per_commit(state, 1);
}

static void commit_can_remove_a_file(void **state, int raw)
{
    struct fixture *fx = *state;
    struct flash_file files[] = {
        { "crl.pem", NULL, 0 },
        { "ca.pem", "new trust", 9 },
    };
    prepare(fx, raw);
    commit1(fx, "crl.pem", "revocations");
    commit1(fx, "ca.pem", "old trust");
    assert_int_equal(flash_commit(&fx->f, files, 2, &fx->err), 0);
    reopen(fx, raw);
    assert_missing(fx, "crl.pem");
    assert_holds(fx, "ca.pem", "new trust");
    /* Removing what is not there is no error. */
    commit1(fx, "crl.pem", NULL);
    assert_int_equal(flash_generation(&fx->f), 4);
}

static void test_dir_commit_can_remove_a_file(void **state)
{
    commit_can_remove_a_file(state, 0);
}

static void test_raw_commit_can_remove_a_file(void **state)
{
    commit_can_remove_a_file(state, 1);
}

static void commit_with_a_name_twice_or_too_many_files_is_refused(void **state, int raw)
{
    struct fixture *fx = *state;
    struct flash_file twice[] = { { "ca.pem", "a", 1 }, { "ca.pem", "b", 1 } };
    struct flash_file many[GH_FLASH_MAX_FILES + 1];
    char names[GH_FLASH_MAX_FILES + 1][16];
    prepare(fx, raw);
    assert_int_equal(flash_commit(&fx->f, twice, 2, &fx->err), GH_E_INVALID);
    assert_non_null(strstr(fx->err.msg, "twice"));
    assert_int_equal(flash_commit(&fx->f, twice, 0, &fx->err), GH_E_INVALID);
    for (int i = 0; i <= GH_FLASH_MAX_FILES; i++) {
        snprintf(names[i], sizeof names[i], "file%d", i);
        many[i] = (struct flash_file){ names[i], "x", 1 };
    }
    assert_int_equal(flash_commit(&fx->f, many, GH_FLASH_MAX_FILES + 1, &fx->err),
                     GH_E_CAPACITY);
    assert_non_null(strstr(fx->err.msg, "GH_FLASH_MAX_FILES"));
    assert_int_equal(flash_generation(&fx->f), 0);
    assert_int_equal(flash_commit(&fx->f, many, GH_FLASH_MAX_FILES, &fx->err), 0);
    reopen(fx, raw);
    assert_holds(fx, "file15", "x");
}

static void test_dir_commit_with_a_name_twice_or_too_many_files_is_refused(void **state)
{
    commit_with_a_name_twice_or_too_many_files_is_refused(state, 0);
}

static void test_raw_commit_with_a_name_twice_or_too_many_files_is_refused(void **state)
{
    commit_with_a_name_twice_or_too_many_files_is_refused(state, 1);
}

/* ---- the folder ---- */

static void test_dir_files_are_plain_files_an_integrator_can_read(void **state)
{
    struct fixture *fx = *state;
    char path[GH_PATH_MAX], buf[32] = "";
    FILE *fp;
    open_dir(fx);
    commit1(fx, "certmap.ini", "[certmap]\n");
    path_in(fx, path, "certmap.ini");
    fp = fopen(path, "r");
    assert_non_null(fp);
    assert_non_null(fgets(buf, sizeof buf, fp));
    fclose(fp);
    assert_string_equal(buf, "[certmap]\n");
    assert_false(file_exists(fx, ".journal"));
    assert_false(file_exists(fx, "certmap.ini.tmp"));
}

static void test_dir_factory_folder_opens_at_generation_zero(void **state)
{
    struct fixture *fx = *state;
    write_file(fx, "ca.pem", "factory trust", 13);
    open_dir(fx);
    assert_int_equal(flash_generation(&fx->f), 0);
    assert_holds(fx, "ca.pem", "factory trust");
    commit1(fx, "ca.pem", "provisioned");
    assert_int_equal(flash_generation(&fx->f), 1);
}

static void test_dir_leftovers_of_an_interrupted_commit_are_removed_at_open(void **state)
{
    struct fixture *fx = *state;
    write_file(fx, "ca.pem", "old trust", 9);
    write_file(fx, "ca.pem.tmp", "half a new tr", 13);
    write_file(fx, ".generation.tmp", "8", 1);
    write_file(fx, ".journal.tmp", "gatehouse-flash-jour", 20);
    open_dir(fx);
    assert_holds(fx, "ca.pem", "old trust");
    assert_int_equal(flash_generation(&fx->f), 0);
    assert_false(file_exists(fx, "ca.pem.tmp"));
    assert_false(file_exists(fx, ".generation.tmp"));
    assert_false(file_exists(fx, ".journal.tmp"));
}

/* What a cut between the commit point and the renames leaves on disk. */
static void test_dir_commit_cut_after_its_journal_is_finished_at_open(void **state)
{
    struct fixture *fx = *state;
    char journal[256];
    int n;
    write_file(fx, "ca.pem", "old trust", 9);
    write_file(fx, "crl.pem", "old crl", 7);
    write_file(fx, ".generation", "6\n", 2);
    write_file(fx, "ca.pem.tmp", "new trust", 9);
    write_file(fx, "certmap.ini", "new table", 9);   /* renamed before the cut */
    write_file(fx, ".generation.tmp", "7\n", 2);
    n = snprintf(journal, sizeof journal,
                 "gatehouse-flash-journal 1\ngeneration 7\nput ca.pem\nput certmap.ini\n"
                 "del crl.pem\nput .generation\n");
    n += snprintf(journal + n, sizeof journal - (size_t)n, "crc %08lx\n",
                  (unsigned long)flash_crc32(0, journal, (size_t)n));
    write_file(fx, ".journal", journal, (size_t)n);
    open_dir(fx);
    assert_int_equal(flash_generation(&fx->f), 7);
    assert_holds(fx, "ca.pem", "new trust");
    assert_holds(fx, "certmap.ini", "new table");
    assert_missing(fx, "crl.pem");
    assert_false(file_exists(fx, ".journal"));
    assert_false(file_exists(fx, "ca.pem.tmp"));
}

static void test_dir_journal_with_a_bad_crc_is_not_replayed(void **state)
{
    struct fixture *fx = *state;
    static const char journal[] = "gatehouse-flash-journal 1\ngeneration 7\nput ca.pem\n"
                                  "put .generation\ncrc 00000000\n";
    write_file(fx, "ca.pem", "old trust", 9);
    write_file(fx, "ca.pem.tmp", "new trust", 9);
    write_file(fx, ".generation.tmp", "7\n", 2);
    write_file(fx, ".journal", journal, sizeof journal - 1);
    open_dir(fx);
    assert_holds(fx, "ca.pem", "old trust");
    assert_int_equal(flash_generation(&fx->f), 0);
    assert_false(file_exists(fx, ".journal"));
}

static void test_dir_defaults_folder_fills_in_what_the_flash_lacks(void **state)
{
    struct fixture *fx = *state;
    char defaults_dir[GH_PATH_MAX], buf[64];
    struct gh_flash defaults;
    size_t len;
    int rc;
    /* The firmware's defaults: a second, never-committed folder. */
    path_in(fx, defaults_dir, "defaults");
    assert_int_equal(mkdir(defaults_dir, 0755), 0);
    {
        char p[GH_PATH_MAX + 16];
        FILE *fp;
        snprintf(p, sizeof p, "%s/settings.ini", defaults_dir);
        fp = fopen(p, "w");
        assert_non_null(fp);
        fputs("hostname = gatehouse\n", fp);
        fclose(fp);
    }
    open_dir(fx);
    assert_int_equal(flash_open_dir(&defaults, defaults_dir, NULL, &fx->err), 0);
    rc = flash_read(&fx->f, "settings.ini", buf, sizeof buf, &len, &fx->err);
    if (rc == GH_E_NOTFOUND)
        rc = flash_read(&defaults, "settings.ini", buf, sizeof buf, &len, &fx->err);
    assert_int_equal(rc, 0);
    assert_int_equal(len, 21);
    assert_memory_equal(buf, "hostname = gatehouse\n", 21);
    /* Once provisioned, the flash wins. */
    commit1(fx, "settings.ini", "hostname = gw-7\n");
    assert_holds(fx, "settings.ini", "hostname = gw-7\n");
    flash_close(&defaults);
    {
        char p[GH_PATH_MAX + 16];
        snprintf(p, sizeof p, "%s/settings.ini", defaults_dir);
        unlink(p);
        rmdir(defaults_dir);
    }
}

static void test_dir_missing_folder_is_a_clear_error(void **state)
{
    struct fixture *fx = *state;
    char path[GH_PATH_MAX];
    path_in(fx, path, "no-such-folder");
    assert_int_equal(flash_open_dir(&fx->f, path, NULL, &fx->err), GH_E_IO);
    assert_non_null(strstr(fx->err.msg, "no-such-folder"));
    assert_non_null(strstr(fx->err.msg, "No such file"));
}

/* ---- the raw partition ---- */

static uint32_t le32_at(const struct fixture *fx, long off)
{
    unsigned char b[4];
    FILE *fp = fopen(fx->part, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, off, SEEK_SET), 0);
    assert_int_equal(fread(b, 1, 4, fp), 4);
    fclose(fp);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void flip_byte(const struct fixture *fx, long off)
{
    int c;
    FILE *fp = fopen(fx->part, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, off, SEEK_SET), 0);
    c = fgetc(fp);
    assert_int_equal(fseek(fp, off, SEEK_SET), 0);
    fputc(c ^ 0x40, fp);
    fclose(fp);
}

static void test_raw_blank_partition_opens_empty(void **state)
{
    struct fixture *fx = *state;
    blank_partition(fx, 2 * SLOT);
    open_raw(fx);
    assert_int_equal(flash_generation(&fx->f), 0);
    assert_missing(fx, "certmap.ini");
}

static void test_raw_commits_alternate_between_the_two_slots(void **state)
{
    struct fixture *fx = *state;
    blank_partition(fx, 2 * SLOT);
    open_raw(fx);
    commit1(fx, "ca.pem", "one");
    assert_int_equal(le32_at(fx, 4), 1);          /* slot 0, generation 1 */
    commit1(fx, "ca.pem", "two");
    assert_int_equal(le32_at(fx, SLOT + 4), 2);   /* slot 1, generation 2 */
    assert_int_equal(le32_at(fx, 4), 1);          /* the old one untouched */
    commit1(fx, "ca.pem", "three");
    assert_int_equal(le32_at(fx, 4), 3);
    assert_int_equal(le32_at(fx, SLOT + 4), 2);
}

static void test_raw_slot_with_a_bad_crc_is_ignored(void **state)
{
    struct fixture *fx = *state;
    blank_partition(fx, 2 * SLOT);
    open_raw(fx);
    commit1(fx, "ca.pem", "previous trust");
    commit1(fx, "ca.pem", "current trust");
    flash_close(&fx->f);
    flip_byte(fx, SLOT + 512 + 14);   /* a byte of generation 2's ca.pem */
    open_raw(fx);
    assert_int_equal(flash_generation(&fx->f), 1);
    assert_holds(fx, "ca.pem", "previous trust");
    /* The next commit goes over the bad slot, and wins. */
    commit1(fx, "ca.pem", "repaired trust");
    assert_int_equal(flash_generation(&fx->f), 2);
    reopen(fx, 1);
    assert_holds(fx, "ca.pem", "repaired trust");
}

static void test_raw_both_slots_corrupt_is_a_clear_error(void **state)
{
    struct fixture *fx = *state;
    blank_partition(fx, 2 * SLOT);
    open_raw(fx);
    commit1(fx, "ca.pem", "previous trust");
    commit1(fx, "ca.pem", "current trust");
    flash_close(&fx->f);
    flip_byte(fx, 512 + 14);   /* a byte of each slot's ca.pem */
    flip_byte(fx, SLOT + 512 + 14);
    assert_int_equal(flash_open_raw(&fx->f, fx->part, SLOT, NULL, &fx->err), GH_E_IO);
    assert_non_null(strstr(fx->err.msg, "both slots are corrupt"));
    assert_non_null(strstr(fx->err.msg, fx->part));
}

static void test_raw_torn_first_commit_leaves_an_empty_flash(void **state)
{
    struct fixture *fx = *state;
    static const unsigned char torn_header[] = { 'G', 'H', 'F', '1', 1, 0, 0, 0 };
    FILE *fp;
    blank_partition(fx, 2 * SLOT);
    fp = fopen(fx->part, "r+b");
    assert_non_null(fp);
    assert_int_equal(fwrite(torn_header, 1, sizeof torn_header, fp), sizeof torn_header);
    fclose(fp);
    open_raw(fx);
    assert_int_equal(flash_generation(&fx->f), 0);
    assert_missing(fx, "ca.pem");
    assert_non_null(strstr(fx->err.msg, "no valid slot"));
    commit1(fx, "ca.pem", "first trust");
    reopen(fx, 1);
    assert_holds(fx, "ca.pem", "first trust");
}

static void test_raw_set_larger_than_a_slot_is_refused_and_the_old_kept(void **state)
{
    struct fixture *fx = *state;
    static char big[SLOT];
    struct flash_file file = { "ca.pem", big, sizeof big - 512 - 10 };
    memset(big, 'A', sizeof big);
    blank_partition(fx, 2 * SLOT);
    open_raw(fx);
    commit1(fx, "certmap.ini", "table");
    assert_int_equal(flash_commit(&fx->f, &file, 1, &fx->err), GH_E_CAPACITY);
    assert_non_null(strstr(fx->err.msg, "slot"));
    assert_int_equal(flash_generation(&fx->f), 1);
    reopen(fx, 1);
    assert_holds(fx, "certmap.ini", "table");
    assert_missing(fx, "ca.pem");
    /* What fits beside the table is taken. */
    file.len = SLOT - 512 - (5 + strlen("certmap.ini") + 5) - (5 + strlen("ca.pem"));
    assert_int_equal(flash_commit(&fx->f, &file, 1, &fx->err), 0);
}

static void test_raw_partition_smaller_than_two_slots_is_refused(void **state)
{
    struct fixture *fx = *state;
    blank_partition(fx, 2 * SLOT - 1);
    assert_int_equal(flash_open_raw(&fx->f, fx->part, SLOT, NULL, &fx->err), GH_E_INVALID);
    assert_non_null(strstr(fx->err.msg, "two slots"));
    assert_int_equal(flash_open_raw(&fx->f, fx->part, 1000, NULL, &fx->err), GH_E_INVALID);
}

static void test_crc32_matches_the_standard_check_value(void **state)
{
    (void)state;
    assert_int_equal(flash_crc32(0, "123456789", 9), 0xcbf43926u);
    assert_int_equal(flash_crc32(flash_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
    assert_int_equal(flash_crc32(0, "", 0), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_dir_committed_files_read_back_after_reopen),
        T(test_raw_committed_files_read_back_after_reopen),
        T(test_dir_files_a_commit_does_not_name_stay),
        T(test_raw_files_a_commit_does_not_name_stay),
        T(test_dir_missing_file_reads_as_not_found),
        T(test_raw_missing_file_reads_as_not_found),
        T(test_dir_file_larger_than_the_buffer_is_refused_with_its_size),
        T(test_raw_file_larger_than_the_buffer_is_refused_with_its_size),
        T(test_dir_names_that_could_escape_or_collide_are_refused),
        T(test_raw_names_that_could_escape_or_collide_are_refused),
        T(test_dir_generation_goes_up_by_one_per_commit),
        T(test_raw_generation_goes_up_by_one_per_commit),
        T(test_dir_commit_can_remove_a_file),
        T(test_raw_commit_can_remove_a_file),
        T(test_dir_commit_with_a_name_twice_or_too_many_files_is_refused),
        T(test_raw_commit_with_a_name_twice_or_too_many_files_is_refused),
        T(test_dir_files_are_plain_files_an_integrator_can_read),
        T(test_dir_factory_folder_opens_at_generation_zero),
        T(test_dir_leftovers_of_an_interrupted_commit_are_removed_at_open),
        T(test_dir_commit_cut_after_its_journal_is_finished_at_open),
        T(test_dir_journal_with_a_bad_crc_is_not_replayed),
        T(test_dir_defaults_folder_fills_in_what_the_flash_lacks),
        T(test_dir_missing_folder_is_a_clear_error),
        T(test_raw_blank_partition_opens_empty),
        T(test_raw_commits_alternate_between_the_two_slots),
        T(test_raw_slot_with_a_bad_crc_is_ignored),
        T(test_raw_both_slots_corrupt_is_a_clear_error),
        T(test_raw_torn_first_commit_leaves_an_empty_flash),
        T(test_raw_set_larger_than_a_slot_is_refused_and_the_old_kept),
        T(test_raw_partition_smaller_than_two_slots_is_refused),
        cmocka_unit_test(test_crc32_matches_the_standard_check_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
