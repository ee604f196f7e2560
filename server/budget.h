/* budget.h: every capacity of Gatehouse, in one place (as lwIP's lwipopts.h).
 *
 * The server never grows past these: a table, a certificate or a request that
 * does not fit is refused with an error that names the limit. The README quotes
 * this file; a board port overrides any value with -D at build time. */
#ifndef GH_BUDGET_H
#define GH_BUDGET_H

#define GH_STR_(x) #x
#define GH_STR(x) GH_STR_(x)   /* a limit as text, for messages */

/* ---- mapping table (certmap.ini) ---- */
#ifndef GH_MAX_MAPPINGS
#define GH_MAX_MAPPINGS          128   /* [map "..."] sections in one table */
#endif
#ifndef GH_MAX_MATCH_PER_MAPPING
#define GH_MAX_MATCH_PER_MAPPING 8     /* `match` lines in one mapping */
#endif
#define GH_MAP_NAME_MAX          64    /* characters of a mapping name */
#define GH_PATTERN_MAX           255   /* bytes of one `match` pattern */
#define GH_INI_MAX_LINE          8192  /* bytes of one physical line, newline included */
#define GH_CERTMAP_MAX_BYTES     (64 * 1024) /* a whole table (file or upload body) */
#define GH_CERT_DER_MAX          8192  /* DER of one certificate (`certificate =` or a client's) */
#define GH_MAX_LOAD_ERRORS       32    /* errors `check` reports before it stops listing */
#define GH_INI_SECTION_MAX       127   /* bytes of a [section] header's text kept for messages */

/* ---- one certificate's identity (certinfo.h) ---- */
#define GH_ID_MAX_VALUES         64    /* subject/issuer attributes + SANs + EKUs + policies */
#define GH_ID_ARENA              2048  /* bytes for all those values' text */
#define GH_DN_MAX                256   /* one-line subject/issuer for display and audit */
#define GH_SERIAL_HEX_MAX        41    /* 20-octet serial as hex + NUL */

/* ---- settings ---- */
#define GH_MAX_LISTEN            4     /* --listen options */
#define GH_SETTINGS_MAX_BYTES    (8 * 1024)
#define GH_PATH_MAX              256

/* ---- flash ---- */
#ifndef GH_FLASH_MAX_FILES
#define GH_FLASH_MAX_FILES       16    /* files one flash holds, and one commit may name */
#endif
#define GH_FLASH_NAME_MAX        32    /* characters of a flash file name (`certmap.ini`) */
#ifndef GH_FLASH_RAW_SLOT_SIZE
#define GH_FLASH_RAW_SLOT_SIZE   (256 * 1024) /* bytes of one of the raw partition's two slots */
#endif

/* ---- serving ---- */
#ifndef GH_WORKERS
#define GH_WORKERS               8     /* civetweb worker threads = concurrent connections */
#endif
#define GH_LISTEN_BACKLOG        32    /* accepted connections queued for a worker */
#define GH_REQUEST_TIMEOUT_MS    10000 /* a request (and the handshake) must arrive within */
#ifndef GH_HELLO_TIMEOUT_MS
#define GH_HELLO_TIMEOUT_MS      2000  /* a complete ClientHello must arrive within */
#endif
#ifndef GH_HELLO_BUSY_MS
#define GH_HELLO_BUSY_MS         250   /* ... while every worker is busy */
#endif
#ifndef GH_HANDSHAKE_BUSY_MS
#define GH_HANDSHAKE_BUSY_MS     2000  /* a whole handshake, while every worker is busy */
#endif
#define GH_KEEPALIVE_TIMEOUT_MS  15000 /* an idle keep-alive connection is closed after */
/* Closing: after the last record (alert, close_notify) and the FIN, the
 * client's unread data is read and dropped until it closes too, so that the
 * close is a FIN and not a RST that would destroy that last record
 * (patches/civetweb-0003). A worker waits for it at most this long: */
#define GH_CLOSE_DRAIN_MS        1000  /* ... in all */
#define GH_CLOSE_QUIET_MS        100   /* ... for the client's next bytes or its FIN */
#define GH_CLOSE_DRAIN_BYTES     (1024 * 1024) /* ... reading no more than (a refused body still arriving) */
#define GH_API_BODY_MAX          (64 * 1024) /* PUT bodies; larger gets 413 */
#define GH_RESPONSE_MAX          (80 * 1024) /* one JSON/text answer rendered in memory */
#define GH_HTTP_COALESCE_BYTES   (16 * 1024) /* an answer up to this is sent in one TLS record
                                                (a stack buffer of the worker) */
#define GH_MAX_CHAIN_DEPTH       4     /* CA certificates above the client's, at most */
#ifndef GH_CHANGE_WAIT_MS
#define GH_CHANGE_WAIT_MS        3000  /* an upload waits this long for the one being
                                          committed, then gets 409 */
#endif
#ifndef GH_DRAIN_WAIT_MS
#define GH_DRAIN_WAIT_MS         2000  /* a change waits this long for requests still on the
                                          generation before last, then is refused */
#endif
#ifndef GH_SHUTDOWN_GRACE_MS
#define GH_SHUTDOWN_GRACE_MS     3500  /* SIGTERM: requests in flight get this long */
#endif

/* ---- trust ---- */
#define GH_TRUST_MAX_BYTES       (64 * 1024) /* ca.pem, crl.pem, server.pem each */
#define GH_MAX_TRUST_ANCHORS     64    /* certificates in ca.pem */
#define GH_CHAIN_KEEP_BYTES      8192  /* DER of the CA certificates a client sent, kept per
                                          connection to re-check it after a reload */
#define GH_MAX_PENDING_CRLS      16    /* CRLs in crl.pem from CAs not in ca.pem (an
                                          intermediate's), kept until a chain presents them */
#define GH_MAX_BAD_ANCHORS       4     /* revoked CAs of ca.pem named in a refusal (more are
                                          refused all the same, unnamed) */

/* ---- clock (clock.h) ---- */
#ifndef GH_CLOCK_SAVE_INTERVAL_S
#define GH_CLOCK_SAVE_INTERVAL_S 3600  /* the floor in flash is rewritten at most this often */
#endif                                 /* (and at shutdown) */
#define GH_CLOCK_TICK_S          60    /* how often the serve loop looks at the clock */
#define GH_CLOCK_MAX_STEP_S      86400 /* a system clock further ahead of what the floor plus */
                                       /* the time since can vouch for raises the floor only */
                                       /* when the kernel says it is NTP-synchronised */
#define GH_CLOCK_FILE_MAX        128   /* bytes of clock.floor */

/* ---- board (platform/board.h: GET /api/status) ---- */
#define GH_BOARD_MAX_IFACES      8     /* network interfaces listed; more are counted, not listed */
#define GH_BOARD_MAX_ADDRS       6     /* addresses listed per interface */
#define GH_BOARD_TEXT_MAX        64    /* model, serial (longer values are cut) */
#define GH_BOARD_VERSION_MAX     128   /* firmware version, OS name */
#define GH_BOARD_IFNAME_MAX      16    /* IFNAMSIZ */
#define GH_BOARD_ADDR_MAX        50    /* "ffff:...:ffff/128" */

/* ---- device settings (settings.ini: GET/PUT /api/settings) ---- */
#define GH_DEVSET_BODY_MAX       (8 * 1024) /* a PUT body; larger gets 413 */
#define GH_DEVSET_FILE_MAX       (4 * 1024) /* settings.ini in flash */
#define GH_DEVSET_TEXT_CHARS     128   /* characters of location / contact */
#define GH_DEVSET_HOSTNAME_MAX   253   /* RFC 1123, labels of at most 63 */
#define GH_DEVSET_SERVER_MAX     259   /* a host name (253) with ":65535" */
#define GH_DEVSET_NTP_MAX        4     /* NTP servers */

/* ---- memory (server/pool.c; README "RAM budget") ----
 * The TLS pool is wolfSSL's static-memory allocator: blocks of a few fixed
 * sizes, each request served by the smallest free block that holds it. The
 * counts come from measurement (tests/bench/pool-profile.sh traces every
 * allocation of a handshake and of a start-up with reloads, and picks the
 * sizes that need the fewest bytes):
 *   per session: the blocks one mutual-TLS connection holds at once at its
 *     peak (the handshake), over P-256, P-384 and RSA-2048 client chains,
 *     TLS 1.2 and 1.3, refused and accepted; the pool has GH_TLS_SESSIONS
 *     of these;
 *   base: what lives as long as the server (wolfSSL, the CTX, the server
 *     certificate and key) plus two configuration generations, as a reload
 *     keeps the old one while it builds the new: sized for a ca.pem of 16
 *     CAs and a crl.pem of 256 entries (one more CA costs about four blocks,
 *     a 512-byte one for its DER among them; one more revoked certificate
 *     one 96-byte block per generation), and one block as large as crl.pem
 *     may be, which wolfSSL decodes in one piece.
 * Last measured with wolfSSL 5.7.2 as user_settings.h builds it (no
 * OPENSSL_ALL, peer certificates without X509_NAMEs, the peer certificate
 * freed after the handshake): 55,888 bytes a session, 190,144 base.
 * Each block costs GH_TLS_BLOCK_OVERHEAD bytes of bookkeeping; block sizes
 * are multiples of 16 and grow; at most WOLFMEM_MAX_BUCKETS sizes
 * (toolchain/user_settings.h). A record buffer takes a 16992 block. */
#ifndef GH_TLS_BUCKETS
#define GH_TLS_BUCKETS(X) /* X(block bytes, blocks per session, base blocks) */           \
    X(32, 32, 50) X(48, 22, 10) X(96, 5, 552) X(272, 6, 58) X(352, 5, 8) X(512, 2, 30)     \
    X(848, 3, 4) X(992, 3, 0) X(2960, 1, 6) X(3376, 1, 0) X(8704, 2, 1) X(14176, 0, 1)     \
    X(16992, 1, 2) X(GH_TRUST_MAX_BYTES + 16, 0, 1)
#endif
#ifndef GH_TLS_SESSIONS
#define GH_TLS_SESSIONS          GH_WORKERS /* connections the pool holds at their peak at once */
#endif
#define GH_TLS_BLOCK_OVERHEAD    32    /* wolfSSL's bookkeeping per block (64-bit; 16 on 32-bit) */
#define GH_TLS_SESSION_BYTES_(size, n, base) + (n) * ((size) + GH_TLS_BLOCK_OVERHEAD)
#define GH_TLS_BASE_BYTES_(size, n, base) + (base) * ((size) + GH_TLS_BLOCK_OVERHEAD)
#define GH_TLS_SESSION_BYTES     (0 GH_TLS_BUCKETS(GH_TLS_SESSION_BYTES_))
#define GH_TLS_BASE_BYTES        (0 GH_TLS_BUCKETS(GH_TLS_BASE_BYTES_))
#define GH_TLS_POOL_BYTES        (GH_TLS_BASE_BYTES + GH_TLS_SESSIONS * GH_TLS_SESSION_BYTES + 1024)

/* The web pool (civetweb): its context, and per worker one struct
 * mg_connection (2536 bytes on x86-64 in 1.16) and one request-header buffer,
 * all made at start-up; then per request a copy of the URI (at most a header
 * buffer) and per connection the five client-certificate strings of
 * mg_request_info (none with GH_FREE_PEER_CERT: there is no certificate left
 * to describe). */
#ifndef GH_REQUEST_HEADER_MAX
#define GH_REQUEST_HEADER_MAX    8192  /* request line + headers; more gets 431/400 */
#endif
#define GH_WEB_BASE_BYTES        (24 * 1024) /* context, options, socket queue */
#define GH_WEB_PER_WORKER        (3 * 1024 + 2 * GH_REQUEST_HEADER_MAX + 256)
#define GH_WEB_POOL_BYTES        (GH_WEB_BASE_BYTES + GH_WORKERS * GH_WEB_PER_WORKER)
/* The admin reserve (pool_admit): handshakes' worth of TLS pool blocks that a
 * client that does not map to admin may never take, so that an operator can
 * still get in while a flood of other clients takes the rest. (Workers are
 * kept free by the handshake deadlines above, not by this.) */
#ifndef GH_ADMIN_RESERVE
#define GH_ADMIN_RESERVE         1
#endif
#ifndef GH_WORKER_STACK_BYTES
#define GH_WORKER_STACK_BYTES    (256 * 1024) /* civetweb thread stacks (address space; RSS is what a handshake touches) */
#endif

/* ---- audit (audit.h; README "Audit") ---- */
#ifndef GH_AUDIT_REQUEST_RECORDS
#define GH_AUDIT_REQUEST_RECORDS 64    /* allowed requests kept in RAM, newest overwrite oldest */
#endif
#ifndef GH_AUDIT_SECURITY_RECORDS
#define GH_AUDIT_SECURITY_RECORDS 128  /* refusals, provisioning, reloads, warnings: a ring of
                                          their own, which requests never overwrite */
#endif
#ifndef GH_AUDIT_SUMMARY_SLOTS
#define GH_AUDIT_SUMMARY_SLOTS   32    /* keys (certificate, route, status) the log summarises
                                          at once; more are counted together */
#endif
#ifndef GH_AUDIT_SUMMARY_INTERVAL_S
#define GH_AUDIT_SUMMARY_INTERVAL_S 60 /* a repeat is counted, not logged, for this long */
#endif

#endif
