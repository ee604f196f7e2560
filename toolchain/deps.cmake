# deps.cmake: wolfSSL, civetweb and inih from Debian's source packages.
#
# At configure time toolchain/fetch-deps.sh downloads (once), verifies the
# SHA-256 pins, unpacks and patches them into GH_DEPS_DIR/src; a second
# configure, or another build folder (ASan, ARM), reuses what is there. Then
# the three are compiled here as static libraries with the target's compiler
# and our options: there is no ./configure step, so cross builds need nothing
# more than a toolchain file.

set(GH_DEPS_DIR "${CMAKE_SOURCE_DIR}/_deps" CACHE PATH "where third-party sources are fetched and patched")

execute_process(
  COMMAND sh "${CMAKE_SOURCE_DIR}/toolchain/fetch-deps.sh" "${GH_DEPS_DIR}"
  RESULT_VARIABLE _gh_fetch_rc)
if(NOT _gh_fetch_rc EQUAL 0)
  message(FATAL_ERROR "fetching the dependencies failed (toolchain/fetch-deps.sh); see above")
endif()
# Re-run configure when a pin, a patch or the recipe changes (the folder: a
# patch added).
file(GLOB _gh_patches "${CMAKE_SOURCE_DIR}/toolchain/patches/*.patch")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  "${CMAKE_SOURCE_DIR}/toolchain/fetch-deps.sh" "${CMAKE_SOURCE_DIR}/toolchain/patches" ${_gh_patches})

set(WOLFSSL_DIR  "${GH_DEPS_DIR}/src/wolfssl")
set(CIVETWEB_DIR "${GH_DEPS_DIR}/src/civetweb")
set(INIH_DIR     "${GH_DEPS_DIR}/src/inih")

# Third-party code keeps its own warnings; ours is built with -Werror.
set(GH_DEP_FLAGS -w)

# ---------------------------------------------------------------- wolfSSL
set(_wc "${WOLFSSL_DIR}/wolfcrypt/src")
set(GH_WOLFSSL_SOURCES
  ${WOLFSSL_DIR}/src/internal.c ${WOLFSSL_DIR}/src/keys.c ${WOLFSSL_DIR}/src/ssl.c
  ${WOLFSSL_DIR}/src/tls.c ${WOLFSSL_DIR}/src/tls13.c ${WOLFSSL_DIR}/src/wolfio.c
  ${WOLFSSL_DIR}/src/crl.c
  ${_wc}/aes.c ${_wc}/asn.c ${_wc}/chacha.c ${_wc}/chacha20_poly1305.c ${_wc}/coding.c
  ${_wc}/cpuid.c ${_wc}/cryptocb.c ${_wc}/curve25519.c ${_wc}/ecc.c ${_wc}/error.c
  ${_wc}/fe_operations.c ${_wc}/hash.c ${_wc}/hmac.c ${_wc}/kdf.c ${_wc}/logging.c
  ${_wc}/md5.c ${_wc}/memory.c ${_wc}/poly1305.c ${_wc}/pwdbased.c ${_wc}/random.c
  ${_wc}/rsa.c ${_wc}/sha.c ${_wc}/sha256.c ${_wc}/sha512.c ${_wc}/signature.c
  ${_wc}/sp_int.c ${_wc}/wc_encrypt.c ${_wc}/wc_port.c ${_wc}/wolfmath.c
  ${_wc}/wc_pkcs11.c ${_wc}/pkcs12.c ${_wc}/dh.c
)
set(GH_WOLFSSL_ARCH_DEFS "")    # per-architecture extras (ARMv8 crypto)
set(GH_WOLFSSL_ARCH_FLAGS "")
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND NOT GH_NO_ASM)
  enable_language(ASM)
  list(APPEND GH_WOLFSSL_SOURCES ${_wc}/sp_x86_64.c ${_wc}/sp_x86_64_asm.S)
  # AES-NI, and SHA-2/ChaCha20/Poly1305/X25519 with AVX1/AVX2 (BMI2 and ADX
  # for X25519), chosen at run time
  # (cpuid.c) so the binary still runs on a CPU without them: a profile of
  # the handshake had SHA-256 in C at 17 % and AES-GCM in C at 4 %.
  option(GH_X86_64_INTEL_ASM "x86-64: wolfSSL's AES-NI and AVX assembly" ON)
  if(GH_X86_64_INTEL_ASM)
    list(APPEND GH_WOLFSSL_SOURCES ${_wc}/aes_asm.S ${_wc}/aes_gcm_asm.S ${_wc}/sha256_asm.S
      ${_wc}/sha512_asm.S ${_wc}/chacha_asm.S ${_wc}/poly1305_asm.S ${_wc}/fe_x25519_asm.S)
    set(GH_WOLFSSL_ARCH_DEFS GH_X86_64_INTEL_ASM)
  endif()
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$" AND NOT GH_NO_ASM)
  list(APPEND GH_WOLFSSL_SOURCES ${_wc}/sp_arm64.c)
  # ARMv8 Cryptography Extension: on by default; a core without it (Raspberry
  # Pi 4) needs OFF, or the first handshake dies with SIGILL (user_settings.h).
  option(GH_ARMV8_CRYPTO "aarch64: AES/GCM/SHA-256 with the ARMv8 crypto instructions, NEON for the rest" ON)
  if(GH_ARMV8_CRYPTO)
    enable_language(ASM)
    set(_wa "${_wc}/port/arm")
    list(APPEND GH_WOLFSSL_SOURCES ${_wa}/armv8-aes.c ${_wa}/armv8-sha256.c
      ${_wa}/armv8-sha512.c ${_wa}/armv8-sha512-asm.S ${_wa}/armv8-chacha.c
      ${_wa}/armv8-poly1305.c ${_wa}/armv8-curve25519.S)
    set(GH_WOLFSSL_ARCH_DEFS GH_ARMV8_CRYPTO)
    # +crypto lets the assembler take AESE/PMULL/SHA256H; -mstrict-align as
    # wolfSSL's configure does (some gcc versions pick addressing modes the
    # inline AES assembly cannot use).
    set(GH_WOLFSSL_ARCH_FLAGS -march=armv8-a+crypto -mstrict-align)
  endif()
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^arm" AND NOT GH_NO_ASM)
  list(APPEND GH_WOLFSSL_SOURCES ${_wc}/sp_arm32.c)
else()
  list(APPEND GH_WOLFSSL_SOURCES ${_wc}/sp_c32.c ${_wc}/sp_c64.c)
endif()

# the random source wolfSSL is built with (user_settings.h)
list(APPEND GH_WOLFSSL_SOURCES "${CMAKE_SOURCE_DIR}/toolchain/wolfssl_random.c")
# ... and the "now" of its date checks (user_settings.h)
list(APPEND GH_WOLFSSL_SOURCES "${CMAKE_SOURCE_DIR}/toolchain/wolfssl_clock.c")
add_library(gh_wolfssl STATIC ${GH_WOLFSSL_SOURCES})
# wolfSSL keeps the client certificate decoded, as OpenSSL-style objects, for
# as long as a connection stays open (~12 KB of the TLS pool per idle
# connection), and civetweb copies it once more: ON frees it when the
# handshake is done (patches/wolfssl-0002; user_settings.h): tls.c's verify
# callback keeps what the mapping and the re-checks after a reload need
# (the identity, and the DER of the client's certificate and sent CAs).
option(GH_FREE_PEER_CERT "free the peer certificate's decoded copy after the handshake" ON)
target_compile_definitions(gh_wolfssl PUBLIC WOLFSSL_USER_SETTINGS
  $<$<BOOL:${GH_NO_ASM}>:GH_NO_ASM> $<$<BOOL:${GH_FREE_PEER_CERT}>:GH_FREE_PEER_CERT>
  ${GH_WOLFSSL_ARCH_DEFS})
target_include_directories(gh_wolfssl SYSTEM PUBLIC
  "${CMAKE_SOURCE_DIR}/toolchain" "${WOLFSSL_DIR}")
target_compile_options(gh_wolfssl PRIVATE ${GH_DEP_FLAGS} ${GH_WOLFSSL_ARCH_FLAGS})
if(GH_SANITIZE)
  # wolfSSL's generated SP math shifts signed 64-bit limbs into the sign bit
  # on purpose: UBSan calls that undefined, every compiler we target does the
  # two's-complement thing. The rest of UBSan stays on for wolfSSL, including
  # shifts in the ASN.1 parser that fuzzing reaches (toolchain/patches/
  # wolfssl-0001-*.patch fixed one there).
  # (sp_*.c, and the curve25519 field arithmetic fe_operations.c likewise)
  set_source_files_properties(${_wc}/sp_x86_64.c ${_wc}/sp_arm64.c ${_wc}/sp_arm32.c
    ${_wc}/sp_c32.c ${_wc}/sp_c64.c ${_wc}/sp_int.c ${_wc}/fe_operations.c
    ${_wc}/curve25519.c
    TARGET_DIRECTORY gh_wolfssl PROPERTIES COMPILE_OPTIONS "-fno-sanitize=shift-base")
endif()
if(GH_WOLFSSL_ARCH_DEFS STREQUAL "GH_X86_64_INTEL_ASM")
  # aes_asm.S reads no settings header: it wants configure's -D
  target_compile_definitions(gh_wolfssl PRIVATE $<$<COMPILE_LANGUAGE:ASM>:WOLFSSL_X86_64_BUILD>)
  # aes.c's key schedule is written with AES-NI intrinsics
  set_property(SOURCE ${_wc}/aes.c TARGET_DIRECTORY gh_wolfssl APPEND PROPERTY
    COMPILE_OPTIONS -maes -msse4 -mpclmul)
endif()
target_link_libraries(gh_wolfssl PUBLIC Threads::Threads ${CMAKE_DL_LIBS} m)

# ---------------------------------------------------------------- inih
# Compile-time options (Debian's runtime-options patch is not applied): the line
# number in the handler, long lines for base64 certificates, no heap.
add_library(gh_inih STATIC ${INIH_DIR}/ini.c)
target_include_directories(gh_inih SYSTEM PUBLIC "${INIH_DIR}")
target_compile_options(gh_inih PUBLIC -include "${CMAKE_SOURCE_DIR}/toolchain/inih_config.h")
target_compile_options(gh_inih PRIVATE ${GH_DEP_FLAGS})

# ---------------------------------------------------------------- civetweb
# HTTP only through our request handlers: no CGI, no scripting, no WebDAV, no
# file serving or directory listing, TLS through wolfSSL's OpenSSL layer linked
# in (NO_SSL_DL). Its allocations go to our fixed pool through a force-included
# header (toolchain/mg_alloc.h), which also sets its thread stack size.
add_library(gh_civetweb STATIC ${CIVETWEB_DIR}/src/civetweb.c)
target_include_directories(gh_civetweb SYSTEM PUBLIC "${CIVETWEB_DIR}/include")
target_include_directories(gh_civetweb SYSTEM PRIVATE "${WOLFSSL_DIR}/wolfssl"
  "${CMAKE_SOURCE_DIR}/server/civetweb")
target_compile_definitions(gh_civetweb PRIVATE
  NO_SSL_DL OPENSSL_API_1_1 USE_IPV6 NO_CGI NO_FILES NO_FILESYSTEMS NO_CACHING
  MG_EXTERNAL_FUNCTION_mg_cry_internal_impl MG_EXTERNAL_FUNCTION_log_access
  # WebDAV is not compiled in (NO_FILES), but its lock table is part of the
  # context: 10 x 16 KiB of a 165 KiB struct, one is the least that compiles.
  NUM_WEBDAV_LOCKS=1)
target_compile_options(gh_civetweb PRIVATE ${GH_DEP_FLAGS}
  "SHELL:-include wolfssl/wolfcrypt/settings.h"
  "SHELL:-include ${CMAKE_SOURCE_DIR}/toolchain/mg_alloc.h")
target_link_libraries(gh_civetweb PUBLIC gh_wolfssl gh_pool)

# ---------------------------------------------------------------- the pools
# The fixed memory wolfSSL and civetweb run on (server/pool.c, sized in
# server/budget.h): linked with them, as their allocator. Our code, so our
# warnings (GH_WARN_FLAGS is set after this file is read).
add_library(gh_pool STATIC "${CMAKE_SOURCE_DIR}/server/pool.c")
target_link_libraries(gh_pool PUBLIC gh_wolfssl gh_base)
cmake_language(DEFER CALL target_compile_options gh_pool PRIVATE ${GH_WARN_FLAGS})
