/* The UI's inflater (server/gunzip.h): each deflate block type back to its
 * bytes, and every cut or damaged input refused with an error, never a read
 * or write out of bounds (run it under ASan). The vectors are Python's
 * gzip.compress(data, 9, mtime=0): a dynamic-Huffman text, a stored block
 * (random bytes) and a fixed-Huffman string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gunzip.h"

static const unsigned char text_gz[219] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x85, 0x52,
    0x5b, 0x0e, 0x03, 0x21, 0x08, 0xbc, 0x8a, 0x57, 0x33, 0x96, 0x6e, 0x4d,
    0x5c, 0x35, 0xae, 0x6d, 0xaf, 0x5f, 0x57, 0x7c, 0x80, 0x98, 0xf4, 0xc7,
    0x48, 0xe6, 0x01, 0x8c, 0xea, 0xc7, 0x69, 0xbd, 0x32, 0x90, 0xb2, 0x7d,
    0x5a, 0xa3, 0x33, 0xa8, 0x10, 0x21, 0xe9, 0x1c, 0x92, 0x3a, 0x4a, 0xf5,
    0x0a, 0xef, 0x0b, 0x94, 0x71, 0x16, 0x7c, 0x56, 0xda, 0x15, 0xda, 0x28,
    0x50, 0xe8, 0x42, 0xc1, 0x27, 0x13, 0x29, 0xa7, 0x8e, 0xd1, 0xfa, 0x43,
    0x3a, 0x0c, 0xef, 0x71, 0x69, 0x40, 0x57, 0xb0, 0x4e, 0xdb, 0x49, 0xc2,
    0x74, 0x9b, 0x22, 0x3e, 0x44, 0x27, 0xdd, 0xe7, 0xc6, 0x43, 0x4e, 0xd7,
    0x16, 0x23, 0x21, 0xa4, 0xe0, 0x88, 0x96, 0x22, 0x2c, 0x04, 0xec, 0x51,
    0xc9, 0xd2, 0x83, 0x71, 0xf0, 0xec, 0xad, 0x7b, 0x78, 0x32, 0xd6, 0xfd,
    0x2e, 0x5d, 0xf7, 0xb1, 0xf0, 0x85, 0xb4, 0xc6, 0x83, 0x6e, 0x0d, 0x43,
    0x41, 0x27, 0x56, 0xa4, 0xce, 0x37, 0xc2, 0x22, 0x13, 0x2e, 0xa9, 0x8b,
    0x6d, 0x98, 0x4b, 0x2b, 0x2a, 0xcc, 0x9e, 0x61, 0xff, 0x66, 0x2c, 0x33,
    0xf1, 0xc9, 0x9a, 0xd9, 0xff, 0xbf, 0x76, 0xf7, 0x41, 0x39, 0x3d, 0xd9,
    0x92, 0x4b, 0x41, 0x67, 0xaa, 0xc3, 0x72, 0x64, 0x76, 0x22, 0x9b, 0xd0,
    0xdd, 0x96, 0x58, 0x27, 0x9f, 0xa5, 0xc1, 0x1f, 0x9a, 0xa4, 0xd1, 0x58,
    0xf2, 0xbb, 0x61, 0xbb, 0x29, 0xfb, 0x01, 0xa1, 0xf6, 0x04, 0x25, 0x7a,
    0x03, 0x00, 0x00,
};
static const char text_raw[] = "admin certificate operator gatehouse client alert client admin close gatehouse alert mapping gatehouse client operator operator client mapping client alert operator gatehouse close client mapping close gatehouse close close operator gatehouse mapping gatehouse alert certificate role operator certificate alert client close role alert certificate client close close mapping admin client alert client close gatehouse close mapping viewer alert operator admin viewer close viewer admin role mapping certificate mapping client close role alert viewer admin viewer role close client client alert operator certificate admin certificate viewer operator gatehouse client alert close admin admin admin close viewer close viewer client client role viewer client gatehouse role close viewer role operator admin gatehouse viewer admin certificate close client viewer gatehouse mapping role certificate";
static const unsigned char random_gz[123] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x01, 0x64,
    0x00, 0x9b, 0xff, 0xbd, 0x3f, 0x65, 0x64, 0xea, 0xdf, 0x7f, 0x14, 0x2a,
    0x72, 0x66, 0x8c, 0x47, 0xe2, 0x23, 0xd1, 0x6e, 0xdd, 0x8c, 0x47, 0xb4,
    0x6a, 0xfc, 0x5b, 0xae, 0xe2, 0x61, 0xf5, 0x3b, 0x26, 0x15, 0x2d, 0x26,
    0x3b, 0xa8, 0x3b, 0x03, 0x7c, 0xd4, 0x96, 0x2e, 0x43, 0x48, 0x01, 0x25,
    0x6b, 0x88, 0x5e, 0x9c, 0x90, 0x51, 0xf3, 0x20, 0xb0, 0xdb, 0x83, 0xf3,
    0x9e, 0xa7, 0xad, 0xbd, 0x0d, 0x74, 0xe6, 0xde, 0xc7, 0xf3, 0xdf, 0xae,
    0xcc, 0x8f, 0x64, 0x65, 0x66, 0x64, 0x1a, 0x7b, 0xa2, 0x66, 0x0f, 0x30,
    0x11, 0xfc, 0x35, 0x70, 0x29, 0x1c, 0x57, 0x99, 0x0d, 0x1a, 0x00, 0x91,
    0x26, 0x89, 0x19, 0xf2, 0x5d, 0x9d, 0x06, 0xda, 0x82, 0xa9, 0xbb, 0x64,
    0x00, 0x00, 0x00,
};
static const char random_raw[] = "\xbd\x3f\x65\x64\xea\xdf\x7f\x14\x2a\x72\x66\x8c\x47\xe2\x23\xd1\x6e\xdd\x8c\x47\xb4\x6a\xfc\x5b\xae\xe2\x61\xf5\x3b\x26\x15\x2d\x26\x3b\xa8\x3b\x03\x7c\xd4\x96\x2e\x43\x48\x01\x25\x6b\x88\x5e\x9c\x90\x51\xf3\x20\xb0\xdb\x83\xf3\x9e\xa7\xad\xbd\x0d\x74\xe6\xde\xc7\xf3\xdf\xae\xcc\x8f\x64\x65\x66\x64\x1a\x7b\xa2\x66\x0f\x30\x11\xfc\x35\x70\x29\x1c\x57\x99\x0d\x1a\x00\x91\x26\x89\x19\xf2\x5d\x9d\x06";
static const unsigned char short_gz[39] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48,
    0xcd, 0xc9, 0xc9, 0xd7, 0x51, 0xc8, 0x40, 0xa2, 0x14, 0xd2, 0x13, 0x4b,
    0x52, 0x33, 0xf2, 0x4b, 0x8b, 0x53, 0x01, 0x58, 0xd8, 0xfc, 0xd4, 0x1d,
    0x00, 0x00, 0x00,
};
static const char short_raw[] = "hello, hello, hello gatehouse";

struct vector {
    const char *name;
    const unsigned char *gz;
    size_t gz_len;
    const char *raw;
    size_t raw_len;
};

static const struct vector vectors[] = {
    {"dynamic", text_gz, sizeof text_gz, text_raw, sizeof text_raw - 1},
    {"stored", random_gz, sizeof random_gz, random_raw, sizeof random_raw - 1},
    {"fixed", short_gz, sizeof short_gz, short_raw, sizeof short_raw - 1},
};

static unsigned char out[2048];

static void test_decodes_each_block_type(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const struct vector *v = &vectors[i];
        struct gh_error e;
        size_t n = 0;
        if (gh_gunzip(v->gz, v->gz_len, out, sizeof out, &n, &e) != 0)
            fail_msg("%s: %s", v->name, e.msg);
        assert_int_equal(n, v->raw_len);
        assert_memory_equal(out, v->raw, n);
    }
}

static void test_refuses_output_over_cap(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const struct vector *v = &vectors[i];
        struct gh_error e;
        size_t n = 0;
        /* exactly the size fits; one byte less is an error */
        unsigned char *exact = test_malloc(v->raw_len), *less = test_malloc(v->raw_len - 1);
        assert_int_equal(gh_gunzip(v->gz, v->gz_len, exact, v->raw_len, &n, &e), 0);
        assert_int_equal(gh_gunzip(v->gz, v->gz_len, less, v->raw_len - 1, &n, &e), GH_E_INVALID);
        assert_non_null(strstr(e.msg, "larger than"));
        test_free(exact);
        test_free(less);
    }
}

static void test_refuses_every_truncation(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const struct vector *v = &vectors[i];
        for (size_t len = 0; len < v->gz_len; len++) {
            /* a copy of exactly len bytes, so that ASan sees any read past it */
            unsigned char *cut = test_malloc(len ? len : 1);
            struct gh_error e;
            size_t n = 0;
            memcpy(cut, v->gz, len);
            if (gh_gunzip(cut, len, out, sizeof out, &n, &e) == 0)
                fail_msg("%s cut to %zu bytes was accepted", v->name, len);
            assert_true(e.msg[0] != '\0');
            test_free(cut);
        }
    }
}

static void test_damage_is_an_error_or_harmless(void **state)
{
    (void)state;
    unsigned char buf[256];
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const struct vector *v = &vectors[i];
        assert_true(v->gz_len <= sizeof buf);
        /* from byte 10 on: the header's time and OS bytes are not checked */
        for (size_t at = 10; at < v->gz_len; at++)
            for (int bit = 0; bit < 8; bit++) {
                struct gh_error e;
                size_t n = 0;
                memcpy(buf, v->gz, v->gz_len);
                buf[at] ^= (unsigned char)(1u << bit);
                if (gh_gunzip(buf, v->gz_len, out, sizeof out, &n, &e) == 0 &&
                    (n != v->raw_len || memcmp(out, v->raw, n) != 0))
                    fail_msg("%s with bit %d of byte %zu flipped: wrong bytes accepted", v->name, bit, at);
            }
    }
}

static void test_refuses_what_is_not_gzip(void **state)
{
    (void)state;
    struct gh_error e;
    size_t n;
    unsigned char named[sizeof short_gz];
    assert_int_equal(gh_gunzip((const unsigned char *)short_raw, sizeof short_raw - 1, out, sizeof out, &n, &e),
                     GH_E_INVALID);
    assert_non_null(strstr(e.msg, "not gzip"));
    memcpy(named, short_gz, sizeof named);
    named[3] = 0x08;   /* FNAME */
    assert_int_equal(gh_gunzip(named, sizeof named, out, sizeof out, &n, &e), GH_E_INVALID);
    assert_non_null(strstr(e.msg, "name"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decodes_each_block_type),
        cmocka_unit_test(test_refuses_output_over_cap),
        cmocka_unit_test(test_refuses_every_truncation),
        cmocka_unit_test(test_damage_is_an_error_or_harmless),
        cmocka_unit_test(test_refuses_what_is_not_gzip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
