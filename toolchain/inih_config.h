/* inih_config.h: inih's compile-time options, force-included when building
 * ini.c and wherever ini.h is used (the macros change ini.h's prototypes).
 * The line number goes to the handler (error messages name lines), a line may
 * hold a whole base64 certificate (the length must match GH_INI_MAX_LINE in
 * server/budget.h), and nothing is allocated. */
#ifndef GATEHOUSE_INIH_CONFIG_H
#define GATEHOUSE_INIH_CONFIG_H
#define INI_HANDLER_LINENO 1
#define INI_MAX_LINE 8192
#define INI_USE_STACK 1
#define INI_ALLOW_REALLOC 0
#define INI_ALLOW_MULTILINE 1
#define INI_ALLOW_BOM 1
#define INI_START_COMMENT_PREFIXES ";#"
#define INI_ALLOW_INLINE_COMMENTS 1
#define INI_INLINE_COMMENT_PREFIXES ";"
#define INI_STOP_ON_FIRST_ERROR 0
#define INI_ALLOW_NO_VALUE 0
#define INI_CALL_HANDLER_ON_NEW_SECTION 1
#define INI_CUSTOM_ALLOCATOR 0
#endif
