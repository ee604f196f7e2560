/* serve.h: `gatehouse serve --flash DIR [--listen ADDR:PORT]...` (CONTRACT.md
 * section 4). Returns the process exit code; prints one line on failure. */
#ifndef GH_SERVE_H
#define GH_SERVE_H

int serve_main(int argc, char **argv);

#endif
