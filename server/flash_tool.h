/* flash_tool.h: `gatehouse flash write --flash SPEC FILE...`, the factory's
 * way to fill a flash (a raw partition above all, which has no files to copy
 * in): every FILE goes in under its base name, in one atomic commit. Returns
 * the process exit code; one line on failure. */
#ifndef GH_FLASH_TOOL_H
#define GH_FLASH_TOOL_H

int flash_tool_main(int argc, char **argv);

#endif
