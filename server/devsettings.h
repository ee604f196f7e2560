/* devsettings.h: the device's operational settings, `settings.ini` in flash
 * (GET/PUT /api/settings, CONTRACT.md section 5). Gatehouse keeps them for the
 * firmware (which applies hostname, syslog and NTP); it does not act on them.
 *
 * settings.ini, as Gatehouse writes it and an integrator may write it:
 *
 *     ; hostname: RFC 1123 name, at most 253 characters, labels at most 63
 *     [settings]
 *     hostname = gw-hall3
 *     location = Hall 3; rack 7
 *     contact = ops@example.com
 *     syslog_server = [2001:db8::10]:514
 *     ntp_server = 0.pool.ntp.org
 *     ntp_server = 192.0.2.123
 *
 * location and contact: at most 128 characters, no control characters. A
 * server is a host name, an IPv4 or an IPv6 address; syslog_server may add
 * ":port" (IPv6 then in brackets). ntp_server repeats, at most 4 times.
 * Comments are whole lines starting with ';' or '#': a value runs to the end
 * of its line, so `;` inside a location is text, not a comment (this is why
 * the file is not read with inih). Leading and trailing blanks of a value are
 * dropped. A key given without value (`contact =`) is empty. */
#ifndef GH_DEVSETTINGS_H
#define GH_DEVSETTINGS_H

#include <stddef.h>

#include "budget.h"
#include "gh_error.h"
#include "json.h"

#define DEVSET_TEXT_BYTES (GH_DEVSET_TEXT_CHARS * 4)   /* UTF-8: 4 bytes a character at most */

struct devsettings {
    char hostname[GH_DEVSET_HOSTNAME_MAX + 1];
    char location[DEVSET_TEXT_BYTES + 1];
    char contact[DEVSET_TEXT_BYTES + 1];
    char syslog_server[GH_DEVSET_SERVER_MAX + 1];   /* "" when none */
    int ntp_count;
    char ntp_servers[GH_DEVSET_NTP_MAX][GH_DEVSET_SERVER_MAX + 1];
};

/* What a device without settings.ini has: hostname "gatehouse", nothing else. */
void devset_defaults(struct devsettings *s);

/* The value checks; 0 or GH_E_INVALID with the reason in err->msg (without the
 * field's name, which the caller adds). */
int devset_check_hostname(const char *name, struct gh_error *err);
/* A host name, an IPv4 or an IPv6 address; with_port: also "host:514",
 * "192.0.2.1:514", "[2001:db8::1]:514". */
int devset_check_server(const char *server, int with_port, struct gh_error *err);
/* Free text: valid UTF-8, at most GH_DEVSET_TEXT_CHARS characters, no control
 * characters (C0, DEL, C1) and no invisible line or direction marks. */
int devset_check_text(const char *text, size_t len, struct gh_error *err);

/* settings.ini text into s, starting from the defaults. Errors carry
 * file "settings.ini" and the line. */
int devset_parse_ini(struct devsettings *s, const char *text, size_t len, struct gh_error *err);

/* s as settings.ini into buf; GH_E_CAPACITY when it does not fit. */
int devset_render_ini(const struct devsettings *s, char *buf, size_t cap, size_t *len,
                      struct gh_error *err);

/* A PUT body: a JSON object with any of "hostname", "location", "contact",
 * "syslog_server" (strings) and "ntp_servers" (an array of strings), applied
 * onto s; fields not given keep their values. Strict: unknown or repeated
 * fields, other value types, bad JSON and bad values are errors. On error
 * `field` names the offending field ("" when the JSON itself is broken) and s
 * may be half-applied: apply onto a copy. */
int devset_apply_json(struct devsettings *s, const char *body, size_t len, char *field,
                      size_t field_cap, struct gh_error *err);

/* The five fields as members of the JSON object j has open. */
void devset_to_json(const struct devsettings *s, struct json *j);

#endif
