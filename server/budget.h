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
#define GH_KEEPALIVE_TIMEOUT_MS  15000 /* an idle keep-alive connection is closed after */
#define GH_API_BODY_MAX          (64 * 1024) /* PUT bodies; larger gets 413 */
#define GH_RESPONSE_MAX          (80 * 1024) /* one JSON/text answer rendered in memory */
#define GH_MAX_CHAIN_DEPTH       4     /* CA certificates above the client's, at most */

/* ---- trust ---- */
#define GH_TRUST_MAX_BYTES       (64 * 1024) /* ca.pem, crl.pem, server.pem each */

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

/* ---- audit ---- */
#ifndef GH_AUDIT_RECORDS
#define GH_AUDIT_RECORDS         128   /* kept in RAM, newest overwrite oldest */
#endif

#endif
