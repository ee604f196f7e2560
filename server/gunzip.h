/* gunzip.h: the UI's gzip bytes back to the files they were made from.
 *
 * The UI is compiled in gzip-compressed only (ui.cmake); a client that does
 * not accept gzip gets the files decompressed with this, once, into memory
 * that is only touched when such a client comes (ui.c). A whole-buffer
 * RFC 1951/1952 decoder: the input is our own build's, but every length and
 * code is still checked, and a bad one is an error, never a read or write
 * out of bounds. */
#ifndef GH_GUNZIP_H
#define GH_GUNZIP_H

#include <stddef.h>

#include "gh_error.h"

/* gz[0..gz_len) to out[0..cap); *out_len is the decompressed size, which
 * must fit cap and agree with the gzip trailer (size and CRC-32). */
int gh_gunzip(const unsigned char *gz, size_t gz_len, unsigned char *out, size_t cap,
              size_t *out_len, struct gh_error *err);

#endif
