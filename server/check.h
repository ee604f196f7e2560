/* check.h: `gatehouse check FILE.ini [--cert CLIENT.pem]` (CONTRACT.md section 4).
 *
 * Validates a mapping table as the server would load it and prints every error
 * as `FILE:LINE: map "NAME": message`, FILE as given on the command line (like
 * a compiler, so editors can jump to it). With --cert (PEM, the first
 * certificate of a chain, or DER) it also shows the certificate's fields, each
 * mapping tried with each match line true or false, and the decision.
 *
 * argv[0] is the command's own name ("check"), its arguments follow. Returns
 * the exit code: 0 the table is valid, 1 it has errors, 2 the command could
 * not run (usage, unreadable file, --cert not a certificate). The decision for
 * --cert does not change the exit code. Output goes to out, usage and I/O
 * problems to errout. Not reentrant: the table and file live in static storage
 * (a certmap is too large for a thread's stack). */
#ifndef GH_CHECK_H
#define GH_CHECK_H

#include <stdio.h>

int check_main(int argc, char **argv, FILE *out, FILE *errout);

#endif
