#include "gunzip.h"

#include <stdint.h>
#include <string.h>

#include "../platform/flash.h"   /* flash_crc32: gzip's CRC-32 */

/* The decoder follows RFC 1951 in the canonical-code style of zlib's
 * contrib/puff: a Huffman code is its count of codes per length and its
 * symbols in code order, decoded a bit at a time. Slow, small, enough for
 * 35 KB decoded once. */

#define MAXBITS 15
#define MAXLCODES 286
#define MAXDCODES 30
#define FIXLCODES 288

struct state {
    const unsigned char *in;
    size_t in_len, in_pos;
    unsigned char *out;
    size_t cap, out_pos;
    uint32_t bitbuf;
    int bitcnt;
};

struct huffman {
    short count[MAXBITS + 1];
    short symbol[FIXLCODES];
};

/* n bits, or -1 past the end of the input */
static int bits(struct state *s, int n)
{
    uint32_t v = s->bitbuf;
    while (s->bitcnt < n) {
        if (s->in_pos >= s->in_len)
            return -1;
        v |= (uint32_t)s->in[s->in_pos++] << s->bitcnt;
        s->bitcnt += 8;
    }
    s->bitbuf = v >> n;
    s->bitcnt -= n;
    return (int)(v & ((1u << n) - 1));
}

static int decode(struct state *s, const struct huffman *h)
{
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= MAXBITS; len++) {
        int b = bits(s, 1);
        if (b < 0)
            return -1;
        code |= b;
        int count = h->count[len];
        if (code - count < first)
            return h->symbol[index + (code - first)];
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    return -1;   /* no such code */
}

/* A code from its lengths; 0 when complete (or a single code, which RFC
 * 1951 allows for distances), -1 when over-subscribed. */
static int construct(struct huffman *h, const short *length, int n)
{
    short offs[MAXBITS + 1];
    int left = 1;
    memset(h->count, 0, sizeof h->count);
    for (int i = 0; i < n; i++)
        h->count[length[i]]++;
    if (h->count[0] == n)
        return 0;
    for (int len = 1; len <= MAXBITS; len++) {
        left = (left << 1) - h->count[len];
        if (left < 0)
            return -1;
    }
    offs[1] = 0;
    for (int len = 1; len < MAXBITS; len++)
        offs[len + 1] = (short)(offs[len] + h->count[len]);
    for (int i = 0; i < n; i++)
        if (length[i])
            h->symbol[offs[length[i]]++] = (short)i;
    return left;
}

static int stored(struct state *s)
{
    s->bitbuf = 0;
    s->bitcnt = 0;
    if (s->in_len - s->in_pos < 4)
        return -1;
    const unsigned char *p = s->in + s->in_pos;
    unsigned len = p[0] | (unsigned)p[1] << 8;
    if ((p[2] | (unsigned)p[3] << 8) != (~len & 0xffffu))
        return -1;
    s->in_pos += 4;
    if (s->in_len - s->in_pos < len || s->cap - s->out_pos < len)
        return -1;
    memcpy(s->out + s->out_pos, s->in + s->in_pos, len);
    s->in_pos += len;
    s->out_pos += len;
    return 0;
}

static int codes(struct state *s, const struct huffman *lencode, const struct huffman *distcode)
{
    static const short lbase[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                    35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const short lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                   3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static const short dbase[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
                                    257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
                                    8193, 12289, 16385, 24577};
    static const short dext[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
                                   7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
        int sym = decode(s, lencode);
        if (sym < 0)
            return -1;
        if (sym < 256) {
            if (s->out_pos >= s->cap)
                return -1;
            s->out[s->out_pos++] = (unsigned char)sym;
        } else if (sym == 256) {
            return 0;
        } else {
            sym -= 257;
            if (sym >= 29)
                return -1;
            int e = bits(s, lext[sym]);
            if (e < 0)
                return -1;
            size_t len = (size_t)(lbase[sym] + e);
            int d = decode(s, distcode);
            if (d < 0 || d >= 30)
                return -1;
            e = bits(s, dext[d]);
            if (e < 0)
                return -1;
            size_t dist = (size_t)(dbase[d] + e);
            if (dist > s->out_pos || s->cap - s->out_pos < len)
                return -1;
            for (; len; len--, s->out_pos++)   /* may overlap: byte by byte */
                s->out[s->out_pos] = s->out[s->out_pos - dist];
        }
    }
}

static int fixed(struct state *s)
{
    struct huffman lencode, distcode;
    short lengths[FIXLCODES];
    int i = 0;
    for (; i < 144; i++)
        lengths[i] = 8;
    for (; i < 256; i++)
        lengths[i] = 9;
    for (; i < 280; i++)
        lengths[i] = 7;
    for (; i < FIXLCODES; i++)
        lengths[i] = 8;
    construct(&lencode, lengths, FIXLCODES);
    for (i = 0; i < MAXDCODES; i++)
        lengths[i] = 5;
    construct(&distcode, lengths, MAXDCODES);
    return codes(s, &lencode, &distcode);
}

static int dynamic(struct state *s)
{
    static const short order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    short lengths[MAXLCODES + MAXDCODES];
    struct huffman lencode, distcode;
    int nlen = bits(s, 5), ndist = bits(s, 5), ncode = bits(s, 4);
    if (nlen < 0 || ndist < 0 || ncode < 0)
        return -1;
    nlen += 257;
    ndist += 1;
    ncode += 4;
    if (nlen > MAXLCODES || ndist > MAXDCODES)
        return -1;
    int i = 0;
    for (; i < ncode; i++) {
        int b = bits(s, 3);
        if (b < 0)
            return -1;
        lengths[order[i]] = (short)b;
    }
    for (; i < 19; i++)
        lengths[order[i]] = 0;
    if (construct(&lencode, lengths, 19) != 0)
        return -1;   /* the code-length code must be complete */
    for (i = 0; i < nlen + ndist;) {
        int sym = decode(s, &lencode), len = 0, rep;
        if (sym < 0)
            return -1;
        if (sym < 16) {
            lengths[i++] = (short)sym;
            continue;
        }
        if (sym == 16) {
            if (i == 0)
                return -1;
            len = lengths[i - 1];
            rep = bits(s, 2);
            rep = rep < 0 ? -1 : 3 + rep;
        } else if (sym == 17) {
            rep = bits(s, 3);
            rep = rep < 0 ? -1 : 3 + rep;
        } else {
            rep = bits(s, 7);
            rep = rep < 0 ? -1 : 11 + rep;
        }
        if (rep < 0 || i + rep > nlen + ndist)
            return -1;
        while (rep--)
            lengths[i++] = (short)len;
    }
    if (lengths[256] == 0)
        return -1;   /* no end-of-block code */
    int err = construct(&lencode, lengths, nlen);
    if (err < 0 || (err > 0 && nlen - lencode.count[0] != 1))
        return -1;
    err = construct(&distcode, lengths + nlen, ndist);
    if (err < 0 || (err > 0 && ndist - distcode.count[0] != 1))
        return -1;
    return codes(s, &lencode, &distcode);
}

int gh_gunzip(const unsigned char *gz, size_t gz_len, unsigned char *out, size_t cap,
              size_t *out_len, struct gh_error *err)
{
    struct state s;
    int last;
    /* RFC 1952 header: what `gzip -9n` writes, no name, comment or extra */
    if (gz_len < 18 || gz[0] != 0x1f || gz[1] != 0x8b || gz[2] != 8)
        return gh_error_set(err, GH_E_INVALID, "not gzip data (deflate)");
    if (gz[3] & 0xfe)
        return gh_error_set(err, GH_E_INVALID, "gzip header with a name, comment or extra field");
    memset(&s, 0, sizeof s);
    s.in = gz;
    s.in_len = gz_len - 8;   /* the trailer: CRC-32 and size */
    s.in_pos = 10;
    s.out = out;
    s.cap = cap;
    do {
        last = bits(&s, 1);
        int type = bits(&s, 2), rc;
        if (last < 0 || type < 0)
            return gh_error_set(err, GH_E_INVALID, "gzip data cut short");
        if (type == 0)
            rc = stored(&s);
        else if (type == 1)
            rc = fixed(&s);
        else if (type == 2)
            rc = dynamic(&s);
        else
            rc = -1;
        if (rc != 0)
            return gh_error_set(err, GH_E_INVALID, "invalid deflate data, or larger than %zu bytes", cap);
    } while (!last);
    const unsigned char *t = gz + gz_len - 8;
    uint32_t crc = t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
    uint32_t size = t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
    if (size != (uint32_t)s.out_pos || crc != flash_crc32(0, out, s.out_pos))
        return gh_error_set(err, GH_E_INVALID, "gzip trailer does not match the data (size or CRC-32)");
    *out_len = s.out_pos;
    return 0;
}
