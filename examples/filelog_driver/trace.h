/* SPDX-License-Identifier: Apache-2.0 */
/* trace.h - the WPP configuration of the filelog sample driver, written as WDK samples
 * write theirs (compare
 * https://github.com/microsoft/Windows-driver-samples/blob/main/general/ioctl/kmdf/sys/trace.h):
 * the control GUID and its flag bits, the condition the trace macros test, and a
 * buffer/length pair for %!HEXDUMP!. tracewpp reads it on Windows; here umaccess_wpp()
 * (cmake/umaccess_wdk.cmake) generates filelog.tmh and umaccess/wpp.h prints the messages. */

#define WPP_CHECK_FOR_NULL_STRING

#define WPP_CONTROL_GUIDS                                             \
    WPP_DEFINE_CONTROL_GUID(FileLogTraceGuid,                         \
                            (5b1c2f0e,3a57,4b6e,9d21,7c0f5e8a41d3),   \
                            WPP_DEFINE_BIT(TRACE_DRIVER)              \
                            WPP_DEFINE_BIT(TRACE_IO)                  \
                            WPP_DEFINE_BIT(TRACE_FILE)                \
                            )

#define WPP_LEVEL_FLAGS_LOGGER(lvl, flags) WPP_LEVEL_LOGGER(flags)
#define WPP_LEVEL_FLAGS_ENABLED(lvl, flags) \
    (WPP_LEVEL_ENABLED(flags) && WPP_CONTROL(WPP_BIT_ ## flags).Level >= lvl)

#pragma warning(disable:4204) /* MSVC's; ignored here */

/* A buffer and its length, logged with %!HEXDUMP!. */
typedef struct _FILELOG_XSTR { char * _buf; short _len; } FILELOG_XSTR;
__inline FILELOG_XSTR log_bytes(void * p, short l) { FILELOG_XSTR xs = {(char *)p, l}; return xs; }

/*
 * begin_wpp config
 * FUNC TraceEvents(LEVEL, FLAGS, MSG, ...);
 * end_wpp
 */
DEFINE_CPLX_TYPE(HEXDUMP, WPP_LOGHEXDUMP, FILELOG_XSTR, ItemHEXDump, "s", _HEX_, 0, 2);
