/* gh_check_tool: `gatehouse check` alone, for tests while the server binary
 * does not exist yet. Same command line: gh_check_tool check FILE.ini [--cert C]. */
#include <stdio.h>
#include <string.h>

#include "check.h"

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "usage: %s check FILE.ini [--cert CLIENT.pem]\n", argv[0]);
        return 2;
    }
    return check_main(argc - 1, argv + 1, stdout, stderr);
}
