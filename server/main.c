/* gatehouse: a mutual-TLS-only HTTPS server for appliances. See README.md. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "flash_tool.h"
#include "serve.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: gatehouse serve --flash DIR|raw:PARTITION [--listen ADDR:PORT]...\n"
               "       gatehouse check FILE.ini [--cert CLIENT.pem]\n"
               "       gatehouse flash write --flash DIR|raw:PARTITION FILE...\n"
               "       gatehouse version\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "serve"))
        return serve_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "flash"))
        return flash_tool_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "check"))
        return check_main(argc - 1, argv + 1, stdout, stderr);
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
        printf("gatehouse %s\n", GATEHOUSE_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "gatehouse: unknown command `%s`\n", argv[1]);
    usage(stderr);
    return 2;
}
