#include "flash_tool.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "budget.h"
#include "flash.h"
#include "gh_error.h"

/* All the files of one commit, one after the other: a raw slot's worth. */
static unsigned char buf_[GH_FLASH_RAW_SLOT_SIZE];

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: gatehouse flash write --flash DIR|raw:PARTITION FILE...\n"
               "  each FILE is stored under its base name (certmap.ini, ca.pem, ...), all in one commit\n");
    return rc;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int flash_tool_main(int argc, char **argv)
{
    struct flash_file files[GH_FLASH_MAX_FILES];
    struct gh_flash flash;
    struct gh_error err;
    const char *spec = NULL;
    size_t used = 0;
    int n = 0;

    gh_error_clear(&err);
    if (argc >= 2 && !strcmp(argv[1], "--help"))
        return usage(stdout, 0);
    if (argc < 2 || strcmp(argv[1], "write") != 0)
        return usage(stderr, 2);
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--flash") && i + 1 < argc) {
            spec = argv[++i];
            continue;
        }
        const char *name = base_name(argv[i]);
        if (n == GH_FLASH_MAX_FILES) {
            fprintf(stderr, "gatehouse: flash write: more than %d files\n", GH_FLASH_MAX_FILES);
            return 1;
        }
        if (flash_check_name(name, &err) != 0) {
            fprintf(stderr, "gatehouse: flash write: %s: %s\n", argv[i], err.msg);
            return 1;
        }
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "gatehouse: flash write: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        size_t got = fread(buf_ + used, 1, sizeof buf_ - used, f);
        int more = fgetc(f) != EOF, bad = ferror(f);
        fclose(f);
        if (bad || more) {
            fprintf(stderr, "gatehouse: flash write: %s: %s\n", argv[i],
                    bad ? "cannot be read" : "the files together are larger than a flash slot "
                    "(budget.h GH_FLASH_RAW_SLOT_SIZE)");
            return 1;
        }
        files[n].name = name;
        files[n].data = buf_ + used;
        files[n].len = got;
        used += got;
        n++;
    }
    if (!spec || n == 0)
        return usage(stderr, 2);
    if (flash_open_spec(&flash, spec, &err) != 0 || flash_commit(&flash, files, n, &err) != 0) {
        fprintf(stderr, "gatehouse: flash write: %s%s%s\n", err.file[0] ? err.file : "",
                err.file[0] ? ": " : "", err.msg);
        return 1;
    }
    printf("%s: %d file%s written (generation %u)\n", spec, n, n == 1 ? "" : "s",
           flash_generation(&flash));
    flash_close(&flash);
    return 0;
}
