// SPDX-License-Identifier: Apache-2.0
// The Zw file routines of umaccess/zwfile.h over the host's file system: NT paths mapped to
// host directories by prefix, handles in a process-wide table.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "umaccess/ntddk.h"
#include "utf16.h"

namespace {

struct OpenFile {
  int fd = -1;
  std::string path;
  bool read = false;
  bool write = false;
  bool append_only = false;  // FILE_APPEND_DATA without FILE_WRITE_DATA
  bool synchronous = false;
  bool directory = false;
  bool delete_on_close = false;
  std::int64_t position = 0;
};

struct Mapping {
  std::string nt_prefix;  // upper-cased, without a trailing backslash ("" is the root)
  std::string host_directory;
};

std::mutex g_mutex;
std::vector<Mapping> g_mappings;
std::map<std::uintptr_t, OpenFile> g_handles;
std::uintptr_t g_next_handle = 0;

char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

std::string upper(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = ascii_upper(c);
  return out;
}

std::string strip_trailing_backslashes(std::string s) {
  while (!s.empty() && s.back() == '\\') s.pop_back();
  return s;
}


// The environment's mapping of "\" (only while the host has mapped nothing).
void map_from_environment_locked() {
  static bool done = false;
  if (done) return;
  done = true;
  const char* root = std::getenv("UMACCESS_NT_ROOT");
  if (root != nullptr && *root != '\0' && g_mappings.empty())
    g_mappings.push_back({"", root});
}

// The host path of an NT path, or a failure status.
NTSTATUS host_path_locked(const std::string& nt_path, std::string* out) {
  map_from_environment_locked();
  if (nt_path.empty() || nt_path[0] != '\\') return STATUS_OBJECT_PATH_SYNTAX_BAD;
  const std::string key = upper(nt_path);
  const Mapping* best = nullptr;
  for (const Mapping& m : g_mappings) {
    const std::size_t n = m.nt_prefix.size();
    if (key.compare(0, n, m.nt_prefix) != 0) continue;
    if (key.size() > n && key[n] != '\\') continue;  // only at a component boundary
    if (best == nullptr || n > best->nt_prefix.size()) best = &m;
  }
  if (best == nullptr) return STATUS_OBJECT_PATH_NOT_FOUND;
  std::string rest = nt_path.substr(best->nt_prefix.size());
  std::string path = best->host_directory;
  // rest is "" or "\name\name...": every component must be a plain name.
  std::size_t i = 0;
  while (i < rest.size()) {
    ++i;  // the backslash
    const std::size_t end = rest.find('\\', i);
    const std::string component = rest.substr(i, end == std::string::npos ? std::string::npos
                                                                          : end - i);
    if (component.empty() || component == "." || component == ".." ||
        component.find('/') != std::string::npos || component.find('\0') != std::string::npos)
      return STATUS_OBJECT_NAME_INVALID;
    path += '/';
    path += component;
    if (end == std::string::npos) break;
    i = end;
  }
  *out = path;
  return STATUS_SUCCESS;
}

NTSTATUS status_from_errno(int error) {
  switch (error) {
    case ENOENT: return STATUS_OBJECT_NAME_NOT_FOUND;
    case ENOTDIR: return STATUS_OBJECT_PATH_NOT_FOUND;
    case EEXIST: return STATUS_OBJECT_NAME_COLLISION;
    case EISDIR: return STATUS_FILE_IS_A_DIRECTORY;
    case EACCES:
    case EPERM:
    case EROFS:
    case ETXTBSY:
    case ELOOP: return STATUS_ACCESS_DENIED;
    case ENOSPC:
    case EDQUOT: return STATUS_DISK_FULL;
    case ENAMETOOLONG: return STATUS_OBJECT_NAME_INVALID;
    case EMFILE:
    case ENFILE: return STATUS_TOO_MANY_OPENED_FILES;
    case ENOMEM: return STATUS_INSUFFICIENT_RESOURCES;
    case EFAULT: return STATUS_ACCESS_VIOLATION;
    case EFBIG:
    case EINVAL: return STATUS_INVALID_PARAMETER;
    case EBADF: return STATUS_INVALID_HANDLE;
    default: return STATUS_UNSUCCESSFUL;
  }
}

// ENOENT for a name whose directory is missing is a path error on Windows.
NTSTATUS missing_status(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return STATUS_OBJECT_NAME_NOT_FOUND;
  struct stat st;
  const std::string parent = path.substr(0, slash);
  if (stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return STATUS_OBJECT_PATH_NOT_FOUND;
  return STATUS_OBJECT_NAME_NOT_FOUND;
}

void set_iosb(PIO_STATUS_BLOCK iosb, NTSTATUS status, ULONG_PTR information) {
  if (iosb == nullptr) return;
  iosb->Status = status;
  iosb->Information = information;
}

OpenFile* find_locked(HANDLE handle) {
  const auto it = g_handles.find(reinterpret_cast<std::uintptr_t>(handle));
  return it == g_handles.end() ? nullptr : &it->second;
}

// The offset a read or write starts at, or a failure.
NTSTATUS start_offset(const OpenFile& f, PLARGE_INTEGER byte_offset, bool write,
                      std::int64_t* offset) {
  const bool use_position =
      byte_offset == nullptr || (byte_offset->HighPart == -1 &&
                                 byte_offset->LowPart == FILE_USE_FILE_POINTER_POSITION);
  if ((write && byte_offset != nullptr && byte_offset->HighPart == -1 &&
       byte_offset->LowPart == FILE_WRITE_TO_END_OF_FILE) ||
      (write && f.append_only)) {
    struct stat st;
    if (fstat(f.fd, &st) != 0) return status_from_errno(errno);
    *offset = st.st_size;
    return STATUS_SUCCESS;
  }
  if (use_position) {
    if (!f.synchronous) return STATUS_INVALID_PARAMETER;
    *offset = f.position;
    return STATUS_SUCCESS;
  }
  if (byte_offset->QuadPart < 0) return STATUS_INVALID_PARAMETER;
  *offset = byte_offset->QuadPart;
  return STATUS_SUCCESS;
}

// What ZwReadFile and ZwWriteFile check before moving data (g_mutex held): a known handle,
// synchronous I/O, a status block, a file (not a directory) opened for this access, and
// where to start. Returns the file, or nullptr with *status set (and in the status block
// once there is one).
OpenFile* start_transfer(HANDLE handle, HANDLE event, PIO_APC_ROUTINE apc,
                         PIO_STATUS_BLOCK iosb, PLARGE_INTEGER byte_offset, bool write,
                         std::int64_t* offset, NTSTATUS* status) {
  OpenFile* f = find_locked(handle);
  if (f == nullptr) return *status = STATUS_INVALID_HANDLE, nullptr;
  if (event != nullptr || apc != nullptr) return *status = STATUS_NOT_SUPPORTED, nullptr;
  if (iosb == nullptr) return *status = STATUS_INVALID_PARAMETER, nullptr;
  if (f->directory) *status = STATUS_INVALID_DEVICE_REQUEST;
  else if (!(write ? f->write : f->read)) *status = STATUS_ACCESS_DENIED;
  else *status = start_offset(*f, byte_offset, write, offset);
  if (NT_SUCCESS(*status)) return f;
  set_iosb(iosb, *status, 0);
  return nullptr;
}

}  // namespace

extern "C" {

NTSTATUS ZwCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess,
                      POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
                      PLARGE_INTEGER /*AllocationSize*/, ULONG /*FileAttributes*/,
                      ULONG /*ShareAccess*/, ULONG CreateDisposition, ULONG CreateOptions,
                      PVOID EaBuffer, ULONG EaLength) {
  if (FileHandle == nullptr || IoStatusBlock == nullptr || ObjectAttributes == nullptr ||
      ObjectAttributes->ObjectName == nullptr || CreateDisposition > FILE_MAXIMUM_DISPOSITION)
    return STATUS_INVALID_PARAMETER;
  if (EaBuffer != nullptr || EaLength != 0) return STATUS_NOT_SUPPORTED;
  if (ObjectAttributes->RootDirectory != nullptr) return STATUS_INVALID_PARAMETER;
  const bool want_directory = (CreateOptions & FILE_DIRECTORY_FILE) != 0;
  const bool want_file = (CreateOptions & FILE_NON_DIRECTORY_FILE) != 0;
  if (want_directory && (want_file || (CreateDisposition != FILE_CREATE &&
                                       CreateDisposition != FILE_OPEN &&
                                       CreateDisposition != FILE_OPEN_IF)))
    return STATUS_INVALID_PARAMETER;
  const PUNICODE_STRING name = ObjectAttributes->ObjectName;
  const std::string nt_path =
      umaccess::detail::utf16_to_utf8(name->Buffer, name->Length / sizeof(WCHAR));

  std::lock_guard<std::mutex> lock(g_mutex);
  std::string path;
  NTSTATUS status = host_path_locked(nt_path, &path);
  if (!NT_SUCCESS(status)) {
    set_iosb(IoStatusBlock, status, 0);
    return status;
  }

  OpenFile f;
  f.path = path;
  f.read = (DesiredAccess & (GENERIC_READ | GENERIC_ALL | FILE_READ_DATA | MAXIMUM_ALLOWED)) != 0;
  const bool write_data =
      (DesiredAccess & (GENERIC_WRITE | GENERIC_ALL | FILE_WRITE_DATA | MAXIMUM_ALLOWED)) != 0;
  f.write = write_data || (DesiredAccess & FILE_APPEND_DATA) != 0;
  f.append_only = !write_data && (DesiredAccess & FILE_APPEND_DATA) != 0;
  f.synchronous = (CreateOptions & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT)) != 0;
  f.delete_on_close = (CreateOptions & FILE_DELETE_ON_CLOSE) != 0;

  struct stat st;
  const bool exists = stat(path.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode) && want_file) status = STATUS_FILE_IS_A_DIRECTORY;
  if (exists && !S_ISDIR(st.st_mode) && want_directory) status = STATUS_NOT_A_DIRECTORY;
  if (!NT_SUCCESS(status)) {
    set_iosb(IoStatusBlock, status, 0);
    return status;
  }

  ULONG_PTR information = FILE_OPENED;
  if (want_directory || (exists && S_ISDIR(st.st_mode))) {
    // A directory: created if asked, opened for queries only.
    if (!exists) {
      if (CreateDisposition == FILE_OPEN) {
        status = missing_status(path);
      } else if (mkdir(path.c_str(), 0777) != 0) {
        status = errno == ENOENT ? STATUS_OBJECT_PATH_NOT_FOUND : status_from_errno(errno);
      } else {
        information = FILE_CREATED;
      }
    } else if (CreateDisposition == FILE_CREATE) {
      status = STATUS_OBJECT_NAME_COLLISION;
    } else if (CreateDisposition != FILE_OPEN && CreateDisposition != FILE_OPEN_IF) {
      status = STATUS_FILE_IS_A_DIRECTORY;  // superseding or overwriting a directory
    }
    if (NT_SUCCESS(status)) {
      f.fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (f.fd < 0) status = status_from_errno(errno);
      f.directory = true;
      f.read = f.write = false;
    }
  } else {
    const int access = f.write ? (f.read ? O_RDWR : O_WRONLY) : O_RDONLY;
    const int base = access | O_CLOEXEC;
    // Open or create without a race between "exists" and "create": O_EXCL decides.
    for (int attempt = 0; attempt < 8 && f.fd < 0 && NT_SUCCESS(status); ++attempt) {
      const bool may_create = CreateDisposition != FILE_OPEN && CreateDisposition != FILE_OVERWRITE;
      const bool must_create = CreateDisposition == FILE_CREATE;
      if (may_create) {
        f.fd = open(path.c_str(), base | O_CREAT | O_EXCL, 0666);
        if (f.fd >= 0) {
          information = FILE_CREATED;
          break;
        }
        if (errno != EEXIST) {
          status = errno == ENOENT ? STATUS_OBJECT_PATH_NOT_FOUND : status_from_errno(errno);
          break;
        }
        if (must_create) {
          status = STATUS_OBJECT_NAME_COLLISION;
          break;
        }
      }
      const bool truncate = CreateDisposition == FILE_SUPERSEDE ||
                            CreateDisposition == FILE_OVERWRITE ||
                            CreateDisposition == FILE_OVERWRITE_IF;
      // Truncating needs a writable descriptor even for a read-only handle.
      f.fd = open(path.c_str(), (truncate ? (f.read ? O_RDWR : O_WRONLY) : access) | O_CLOEXEC |
                                    (truncate ? O_TRUNC : 0));
      if (f.fd >= 0) {
        information = CreateDisposition == FILE_SUPERSEDE ? FILE_SUPERSEDED
                      : truncate                           ? FILE_OVERWRITTEN
                                                           : FILE_OPENED;
        break;
      }
      if (errno == ENOENT && may_create) continue;  // deleted meanwhile: create it
      status = errno == ENOENT ? missing_status(path) : status_from_errno(errno);
    }
    if (NT_SUCCESS(status) && f.fd < 0) status = STATUS_UNSUCCESSFUL;
  }
  if (!NT_SUCCESS(status)) {
    if (f.fd >= 0) close(f.fd);
    set_iosb(IoStatusBlock, status, 0);
    return status;
  }
  // Handles look like Windows kernel handles: multiples of 4 (never NULL).
  g_next_handle += 4;
  const std::uintptr_t value = g_next_handle | (std::uintptr_t{1} << (sizeof(void*) * 8 - 1));
  g_handles[value] = f;
  *FileHandle = reinterpret_cast<HANDLE>(value);
  set_iosb(IoStatusBlock, STATUS_SUCCESS, information);
  return STATUS_SUCCESS;
}

NTSTATUS ZwOpenFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess,
                    POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
                    ULONG ShareAccess, ULONG OpenOptions) {
  return ZwCreateFile(FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock, nullptr, 0,
                      ShareAccess, FILE_OPEN, OpenOptions, nullptr, 0);
}

NTSTATUS ZwReadFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine,
                    PVOID /*ApcContext*/, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer,
                    ULONG Length, PLARGE_INTEGER ByteOffset, PULONG /*Key*/) {
  std::lock_guard<std::mutex> lock(g_mutex);
  NTSTATUS status = STATUS_SUCCESS;
  std::int64_t offset = 0;
  OpenFile* const f = start_transfer(FileHandle, Event, ApcRoutine, IoStatusBlock, ByteOffset,
                                     false, &offset, &status);
  if (f == nullptr) return status;
  std::size_t done = 0;
  while (done < Length) {
    const ssize_t n = pread(f->fd, static_cast<char*>(Buffer) + done, Length - done,
                            static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      status = status_from_errno(errno);
      break;
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  if (NT_SUCCESS(status) && done == 0 && Length != 0) status = STATUS_END_OF_FILE;
  if (NT_SUCCESS(status) && f->synchronous) f->position = offset + static_cast<std::int64_t>(done);
  set_iosb(IoStatusBlock, status, NT_SUCCESS(status) ? done : 0);
  return status;
}

NTSTATUS ZwWriteFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine,
                     PVOID /*ApcContext*/, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer,
                     ULONG Length, PLARGE_INTEGER ByteOffset, PULONG /*Key*/) {
  std::lock_guard<std::mutex> lock(g_mutex);
  NTSTATUS status = STATUS_SUCCESS;
  std::int64_t offset = 0;
  OpenFile* const f = start_transfer(FileHandle, Event, ApcRoutine, IoStatusBlock, ByteOffset,
                                     true, &offset, &status);
  if (f == nullptr) return status;
  std::size_t done = 0;
  while (done < Length) {
    const ssize_t n = pwrite(f->fd, static_cast<const char*>(Buffer) + done, Length - done,
                             static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      status = status_from_errno(errno);
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (NT_SUCCESS(status) && f->synchronous) f->position = offset + static_cast<std::int64_t>(done);
  set_iosb(IoStatusBlock, status, NT_SUCCESS(status) ? done : 0);
  return status;
}

NTSTATUS ZwQueryInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
                                PVOID FileInformation, ULONG Length,
                                FILE_INFORMATION_CLASS FileInformationClass) {
  std::lock_guard<std::mutex> lock(g_mutex);
  OpenFile* f = find_locked(FileHandle);
  if (f == nullptr) return STATUS_INVALID_HANDLE;
  if (IoStatusBlock == nullptr || FileInformation == nullptr) return STATUS_INVALID_PARAMETER;
  NTSTATUS status = STATUS_SUCCESS;
  ULONG_PTR information = 0;
  switch (FileInformationClass) {
    case FilePositionInformation: {
      if (Length < sizeof(FILE_POSITION_INFORMATION)) {
        status = STATUS_INFO_LENGTH_MISMATCH;
        break;
      }
      FILE_POSITION_INFORMATION info;
      info.CurrentByteOffset.QuadPart = f->position;
      std::memcpy(FileInformation, &info, sizeof info);
      information = sizeof info;
      break;
    }
    case FileStandardInformation: {
      if (Length < sizeof(FILE_STANDARD_INFORMATION)) {
        status = STATUS_INFO_LENGTH_MISMATCH;
        break;
      }
      struct stat st;
      if (fstat(f->fd, &st) != 0) {
        status = status_from_errno(errno);
        break;
      }
      FILE_STANDARD_INFORMATION info;
      std::memset(&info, 0, sizeof info);
      info.AllocationSize.QuadPart = static_cast<LONGLONG>(st.st_blocks) * 512;
      info.EndOfFile.QuadPart = f->directory ? 0 : static_cast<LONGLONG>(st.st_size);
      info.NumberOfLinks = static_cast<ULONG>(st.st_nlink);
      info.DeletePending = f->delete_on_close ? TRUE : FALSE;
      info.Directory = f->directory ? TRUE : FALSE;
      std::memcpy(FileInformation, &info, sizeof info);
      information = sizeof info;
      break;
    }
    default: status = STATUS_INVALID_INFO_CLASS;
  }
  set_iosb(IoStatusBlock, status, information);
  return status;
}

NTSTATUS ZwSetInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
                              PVOID FileInformation, ULONG Length,
                              FILE_INFORMATION_CLASS FileInformationClass) {
  std::lock_guard<std::mutex> lock(g_mutex);
  OpenFile* f = find_locked(FileHandle);
  if (f == nullptr) return STATUS_INVALID_HANDLE;
  if (IoStatusBlock == nullptr || FileInformation == nullptr) return STATUS_INVALID_PARAMETER;
  NTSTATUS status = STATUS_SUCCESS;
  switch (FileInformationClass) {
    case FilePositionInformation: {
      FILE_POSITION_INFORMATION info;
      if (Length < sizeof info) {
        status = STATUS_INFO_LENGTH_MISMATCH;
        break;
      }
      std::memcpy(&info, FileInformation, sizeof info);
      if (info.CurrentByteOffset.QuadPart < 0) status = STATUS_INVALID_PARAMETER;
      else f->position = info.CurrentByteOffset.QuadPart;
      break;
    }
    case FileEndOfFileInformation: {
      FILE_END_OF_FILE_INFORMATION info;
      if (Length < sizeof info) {
        status = STATUS_INFO_LENGTH_MISMATCH;
        break;
      }
      std::memcpy(&info, FileInformation, sizeof info);
      if (f->directory || !f->write) status = STATUS_ACCESS_DENIED;
      else if (info.EndOfFile.QuadPart < 0) status = STATUS_INVALID_PARAMETER;
      else if (ftruncate(f->fd, static_cast<off_t>(info.EndOfFile.QuadPart)) != 0)
        status = status_from_errno(errno);
      break;
    }
    default: status = STATUS_INVALID_INFO_CLASS;
  }
  set_iosb(IoStatusBlock, status, 0);
  return status;
}

NTSTATUS ZwClose(HANDLE Handle) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const auto it = g_handles.find(reinterpret_cast<std::uintptr_t>(Handle));
  if (it == g_handles.end()) return STATUS_INVALID_HANDLE;
  const OpenFile f = it->second;
  g_handles.erase(it);
  close(f.fd);
  if (f.delete_on_close) {
    if (f.directory) rmdir(f.path.c_str());
    else unlink(f.path.c_str());
  }
  return STATUS_SUCCESS;
}

NTSTATUS UmaZwMapDirectory(PCSTR NtPrefix, PCSTR HostDirectory) {
  if (NtPrefix == nullptr || NtPrefix[0] != '\\') return STATUS_INVALID_PARAMETER;
  const std::string prefix = upper(strip_trailing_backslashes(NtPrefix));
  std::lock_guard<std::mutex> lock(g_mutex);
  map_from_environment_locked();
  for (auto it = g_mappings.begin(); it != g_mappings.end(); ++it) {
    if (it->nt_prefix == prefix) {
      g_mappings.erase(it);
      break;
    }
  }
  if (HostDirectory == nullptr) return STATUS_SUCCESS;
  struct stat st;
  if (stat(HostDirectory, &st) != 0 || !S_ISDIR(st.st_mode)) return STATUS_OBJECT_PATH_NOT_FOUND;
  std::string host = HostDirectory;
  while (host.size() > 1 && host.back() == '/') host.pop_back();
  g_mappings.push_back({prefix, host});
  return STATUS_SUCCESS;
}

SIZE_T UmaZwHandleCount(void) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_handles.size();
}

}  // extern "C"
