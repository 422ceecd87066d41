// SPDX-License-Identifier: Apache-2.0
// examples/filelog_driver/host.cpp - the driver host of the filelog sample (filelog.c, a
// C-style WDM driver with WPP tracing and Zw file calls, compiled unchanged through
// umaccess_wdk_driver() and umaccess_wpp()): maps \SystemRoot to a scratch directory, loads
// the driver, and sends it good and hostile requests; checks the statuses, the log file on
// the host's disk, the WPP messages, and that nothing leaks. Exit 0 only if everything
// happened as expected.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "../driver_host.h"
#include "filelog.h"
#include "filelog.tmh"  // the WPP flag bits (WPP_BIT_TRACE_IO, ...)

namespace {

std::string g_log;  // every DbgPrint / WPP line
void Capture(const char* text, void*) { g_log += text; }

std::string ReadHostFile(const std::string& path) {
  std::string data;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return "<missing>";
  char buffer[256];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) data.append(buffer, n);
  std::fclose(f);
  return data;
}

}  // namespace

int main() {
  example::Checker c;
  example::CallerMemory mem;
  const SIZE_T pool_before = UmaPoolAllocationCount(0);

  char root[] = "/tmp/umaccess-filelog-XXXXXX";
  if (mkdtemp(root) == nullptr) return 1;
  const std::string temp = std::string(root) + "/temp";
  mkdir(temp.c_str(), 0777);
  c.expect("map \\SystemRoot", UmaZwMapDirectory("\\SystemRoot", root), STATUS_SUCCESS);
  UmaSetDbgPrintCallback(Capture, nullptr);
  UmaSetDbgPrintLevel(DPFLTR_INFO_LEVEL);  // every WPP level

  PDRIVER_OBJECT driver;
  c.expect("DriverEntry", UmaIoLoadDriver(DriverEntry, "filelog", &driver), STATUS_SUCCESS);
  c.check("WPP_INIT_TRACING ran", UmaWppInitCount() == 1);
  c.check("%!FUNC! and %wZ traced",
          g_log.find("filelog: DriverEntry \\Registry\\Machine\\System\\CurrentControlSet\\"
                     "Services\\filelog\n") != std::string::npos);

  // Opens: the name after the device's is the log's; the Zw mapping refuses escapes.
  PFILE_OBJECT file = nullptr;
  c.expect("open without a log name", UmaIoOpen(FILELOG_DEVICE_NAME, &file),
           STATUS_OBJECT_NAME_INVALID);
  c.expect("open \\..\\escape.log", UmaIoOpen(FILELOG_DEVICE_NAME "\\..\\escape.log", &file),
           STATUS_OBJECT_NAME_INVALID);
  c.check("nothing created outside the mapped directory",
          access((std::string(root) + "/escape.log").c_str(), F_OK) != 0);
  c.check("%!STATUS! traced", g_log.find("ZwCreateFile \\SystemRoot\\temp\\..\\escape.log "
                                         "failed STATUS_OBJECT_NAME_INVALID") !=
                                  std::string::npos);
  c.expect("open in a missing directory", UmaIoOpen(FILELOG_DEVICE_NAME "\\none\\a.log", &file),
           STATUS_OBJECT_PATH_NOT_FOUND);
  c.expect("open \\test.log", UmaIoOpen(FILELOG_DEVICE_NAME "\\test.log", &file),
           STATUS_SUCCESS);
  if (c.failures != 0) return 1;
  c.check("one Zw handle", UmaZwHandleCount() == 1);
  c.check("created", g_log.find("\\SystemRoot\\temp\\test.log: created, handle 0x8") !=
                         std::string::npos);
  const std::string host_path = temp + "/test.log";

  // Writes (buffered): good, then hostile buffers the I/O manager refuses.
  char* in = mem.good();
  std::memcpy(in, "hello, world", 12);
  ULONG_PTR information = 0;
  c.expect("write 7 bytes", UmaIoWrite(file, in, 7, &information), STATUS_SUCCESS);
  c.check("7 written", information == 7);
  c.check("%!HEXDUMP! traced",
          g_log.find("appended 7 bytes: 68 65 6C 6C 6F 2C 20\n") != std::string::npos);
  c.expect("write from PROT_NONE", UmaIoWrite(file, mem.prot_none(), 16, nullptr),
           STATUS_ACCESS_VIOLATION);
  c.expect("write from unmapped memory", UmaIoWrite(file, mem.unmapped(), 16, nullptr),
           STATUS_ACCESS_VIOLATION);
  c.expect("write straddling a guard page", UmaIoWrite(file, mem.straddling(16), 16, nullptr),
           STATUS_ACCESS_VIOLATION);
  c.expect("write from a kernel-looking address",
           UmaIoWrite(file, example::kernel_looking(), 16, nullptr), STATUS_ACCESS_VIOLATION);
  c.check("the log holds the 7 bytes", ReadHostFile(host_path) == "hello, ");

  // METHOD_NEITHER appends: the driver reads the caller's buffer with CopyFromUser.
  auto* size_out = reinterpret_cast<ULONGLONG*>(mem.good() + 2048);
  *size_out = 0;
  c.expect("APPEND_NEITHER \"world\"",
           UmaIoDeviceControl(file, IOCTL_FILELOG_APPEND_NEITHER, in + 7, 5, size_out,
                              sizeof *size_out, nullptr),
           STATUS_SUCCESS);
  c.check("the new size written to the caller", *size_out == 12);
  struct Hostile {
    const char* what;
    void* input;
    ULONG length;
    NTSTATUS status;
  } const hostile[] = {
      {"APPEND_NEITHER input NULL", nullptr, 16, STATUS_ACCESS_VIOLATION},
      {"APPEND_NEITHER input PROT_NONE", mem.prot_none(), 16, STATUS_ACCESS_VIOLATION},
      {"APPEND_NEITHER input unmapped", mem.unmapped(), 16, STATUS_ACCESS_VIOLATION},
      {"APPEND_NEITHER input straddling a guard page", mem.straddling(64), 64,
       STATUS_ACCESS_VIOLATION},
      {"APPEND_NEITHER input kernel-looking", example::kernel_looking(), 16,
       STATUS_ACCESS_VIOLATION},
      {"APPEND_NEITHER input non-canonical", example::non_canonical(), 16,
       STATUS_ACCESS_VIOLATION},
      {"APPEND_NEITHER input wrapping", example::wrapping(), 64, STATUS_ACCESS_VIOLATION},
      {"APPEND_NEITHER input empty", in, 0, STATUS_INVALID_PARAMETER},
      {"APPEND_NEITHER input over the driver's limit", in, FILELOG_MAX_APPEND + 1,
       STATUS_INVALID_PARAMETER},
  };
  for (const Hostile& h : hostile)
    c.expect(h.what,
             UmaIoDeviceControl(file, IOCTL_FILELOG_APPEND_NEITHER, h.input, h.length, nullptr,
                                0, nullptr),
             h.status);
  c.check("bad input traced with its status",
          g_log.find("bad input buffer 0x") != std::string::npos &&
              g_log.find(": STATUS_ACCESS_VIOLATION\n") != std::string::npos);
  c.expect("APPEND_NEITHER output read-only (appended, then the size write faults)",
           UmaIoDeviceControl(file, IOCTL_FILELOG_APPEND_NEITHER, in, 1, mem.read_only(), 8,
                              nullptr),
           STATUS_ACCESS_VIOLATION);
  c.check("the read-only page is unchanged", mem.read_only()[0] == 'r');
  c.check("the log holds \"hello, worldh\"", ReadHostFile(host_path) == "hello, worldh");

  // QUERY_SIZE (buffered) and READ_DIRECT (direct output).
  ULONGLONG size = 0;
  auto* size_user = reinterpret_cast<ULONGLONG*>(mem.good() + 3000);
  c.expect("QUERY_SIZE", UmaIoDeviceControl(file, IOCTL_FILELOG_QUERY_SIZE, nullptr, 0, size_user,
                                            sizeof size, &information),
           STATUS_SUCCESS);
  size = *size_user;
  c.check("size 13", size == 13 && information == sizeof size);
  c.expect("QUERY_SIZE output too small", UmaIoDeviceControl(file, IOCTL_FILELOG_QUERY_SIZE,
                                                             nullptr, 0, size_user, 4, nullptr),
           STATUS_BUFFER_TOO_SMALL);
  c.expect("QUERY_SIZE output PROT_NONE",
           UmaIoDeviceControl(file, IOCTL_FILELOG_QUERY_SIZE, nullptr, 0, mem.prot_none(), 8,
                              nullptr),
           STATUS_ACCESS_VIOLATION);
  char* out = mem.good() + 1024;
  std::memset(out, '#', 64);
  c.expect("READ_DIRECT 64", UmaIoDeviceControl(file, IOCTL_FILELOG_READ_DIRECT, nullptr, 0, out,
                                                64, &information),
           STATUS_SUCCESS);
  c.check("13 bytes read into the locked buffer",
          information == 13 && std::memcmp(out, "hello, worldh", 13) == 0 && out[13] == '#');
  c.expect("READ_DIRECT into a read-only page",
           UmaIoDeviceControl(file, IOCTL_FILELOG_READ_DIRECT, nullptr, 0, mem.read_only(), 64,
                              nullptr),
           STATUS_ACCESS_VIOLATION);
  c.expect("READ_DIRECT into unmapped memory",
           UmaIoDeviceControl(file, IOCTL_FILELOG_READ_DIRECT, nullptr, 0, mem.unmapped(), 64,
                              nullptr),
           STATUS_ACCESS_VIOLATION);
  c.expect("READ_DIRECT straddling a guard page",
           UmaIoDeviceControl(file, IOCTL_FILELOG_READ_DIRECT, nullptr, 0, mem.straddling(64),
                              64, nullptr),
           STATUS_ACCESS_VIOLATION);
  c.expect("unknown IOCTL",
           UmaIoDeviceControl(file, CTL_CODE(FILELOG_TYPE, 0x9FF, METHOD_BUFFERED, 0), nullptr,
                              0, nullptr, 0, nullptr),
           STATUS_INVALID_DEVICE_REQUEST);

  // Reads (buffered).
  std::memset(out, '#', 64);
  c.expect("read 64", UmaIoRead(file, out, 64, &information), STATUS_SUCCESS);
  c.check("read the log", information == 13 && std::memcmp(out, "hello, worldh", 13) == 0);
  c.expect("read into PROT_NONE", UmaIoRead(file, mem.prot_none(), 16, nullptr),
           STATUS_ACCESS_VIOLATION);
  c.expect("read into a read-only page", UmaIoRead(file, mem.read_only(), 16, nullptr),
           STATUS_ACCESS_VIOLATION);

  // The trace control: with TRACE_IO off, no TRACE_IO message.
  const std::size_t before = g_log.size();
  UmaWppSetControl(WPP_MASK(WPP_BIT_TRACE_DRIVER) | WPP_MASK(WPP_BIT_TRACE_FILE),
                   TRACE_LEVEL_VERBOSE);
  c.expect("write with TRACE_IO off", UmaIoWrite(file, in, 1, nullptr), STATUS_SUCCESS);
  c.check("no TRACE_IO message", g_log.find("appended", before) == std::string::npos);
  UmaWppSetControl(~0ULL, TRACE_LEVEL_VERBOSE);

  // Truncate, then a second open of the same log.
  c.expect("TRUNCATE", UmaIoDeviceControl(file, IOCTL_FILELOG_TRUNCATE, nullptr, 0, nullptr, 0,
                                          nullptr),
           STATUS_SUCCESS);
  c.check("the log is empty", ReadHostFile(host_path).empty());
  c.expect("read an empty log", UmaIoRead(file, out, 64, &information), STATUS_SUCCESS);
  c.check("0 bytes", information == 0);
  PFILE_OBJECT second = nullptr;
  c.expect("a second open of test.log", UmaIoOpen(FILELOG_DEVICE_NAME "\\test.log", &second),
           STATUS_SUCCESS);
  c.check("two Zw handles", UmaZwHandleCount() == 2);
  c.check("opened, not created", g_log.find("test.log: opened") != std::string::npos);
  c.expect("close the second", UmaIoClose(second), STATUS_SUCCESS);

  c.expect("close", UmaIoClose(file), STATUS_SUCCESS);
  c.expect("unload", UmaIoUnloadDriver(driver), STATUS_SUCCESS);
  c.check("WPP_CLEANUP ran", UmaWppInitCount() == 0);
  c.check("no Zw handle left", UmaZwHandleCount() == 0);
  c.check("no pool left", UmaPoolAllocationCount(0) == pool_before);
  c.check("no device or link left", UmaIoDeviceCount() == 0 && UmaIoSymbolicLinkCount() == 0);
  UmaSetDbgPrintCallback(nullptr, nullptr);
  UmaZwMapDirectory("\\SystemRoot", nullptr);
  std::remove(host_path.c_str());
  rmdir(temp.c_str());
  rmdir(root);
  if (c.failures != 0) std::fputs(g_log.c_str(), stdout);
  std::printf("%d requests, %s\n", c.requests,
              c.failures == 0 ? "all as Windows documents" : "UNEXPECTED OUTCOMES");
  return c.failures == 0 ? 0 : 1;
}
