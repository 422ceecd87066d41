/* SPDX-License-Identifier: Apache-2.0 */
/* public.h - what the filelog sample driver shares with its callers. */
#define FILELOG_TYPE 40002

/* The log's size in bytes (a ULONGLONG). */
#define IOCTL_FILELOG_QUERY_SIZE \
    CTL_CODE(FILELOG_TYPE, 0x900, METHOD_BUFFERED, FILE_READ_ACCESS)
/* The first OutputBufferLength bytes of the log, into the caller's locked buffer. */
#define IOCTL_FILELOG_READ_DIRECT \
    CTL_CODE(FILELOG_TYPE, 0x901, METHOD_OUT_DIRECT, FILE_READ_ACCESS)
/* Appends the caller's input buffer, read in place (METHOD_NEITHER); the output buffer, if
 * any, receives the log's new size (a ULONGLONG). */
#define IOCTL_FILELOG_APPEND_NEITHER \
    CTL_CODE(FILELOG_TYPE, 0x902, METHOD_NEITHER, FILE_WRITE_ACCESS)
/* Empties the log. */
#define IOCTL_FILELOG_TRUNCATE \
    CTL_CODE(FILELOG_TYPE, 0x903, METHOD_BUFFERED, FILE_WRITE_ACCESS)

#define FILELOG_DEVICE_NAME "\\\\.\\FileLog"
#define FILELOG_MAX_APPEND 4096
