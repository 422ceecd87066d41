// SPDX-License-Identifier: Apache-2.0
// src/io_manager.cpp - the I/O manager behind umaccess/wdm_io.h and umaccess/iohost.h: driver
// and device objects, the object namespace (device names and symbolic links), and the IRPs a
// host's requests become, built per transfer type as Windows' I/O manager builds them and
// finished in the requesting thread.
//
// Every access to the caller's buffers goes through the engine: ProbeForRead/ProbeForWrite
// (umaccess_probe_*), CopyFromUser/CopyToUser (umaccess_copy_*) and MmProbeAndLockPages
// (umaccess_mm_probe_and_lock_pages), so a bad caller buffer becomes the status Windows
// returns and never a crash. The transfer rules are summarised in iohost.h, after
// https://learn.microsoft.com/en-us/windows-hardware/drivers/kernel/methods-for-accessing-data-buffers
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "failure.h"
#include "umaccess/iohost.h"
#include "umaccess/umaccess.hpp"

namespace umaccess::detail {
namespace {

constexpr ULONG kSystemBufferTag = 0x62537049u;  // 'IpSb'

// ---- The namespace: device names and symbolic links, compared case-insensitively --------

std::u16string upper(std::u16string s) {
  for (auto& c : s)
    if (c >= u'a' && c <= u'z') c = static_cast<char16_t>(c - u'a' + u'A');
  return s;
}

std::u16string from_unicode(PCUNICODE_STRING s) {
  if (s == nullptr || s->Buffer == nullptr) return {};
  return std::u16string(s->Buffer, s->Length / sizeof(WCHAR));
}

std::u16string from_ascii(const char* s) {
  std::u16string out;
  for (; s != nullptr && *s != '\0'; ++s)
    out += static_cast<char16_t>(static_cast<unsigned char>(*s));
  return out;
}

// The DOS-device spellings all mean \??\: \DosDevices\X, \GLOBAL??\X, \\.\X.
std::u16string canonical(std::u16string name) {
  const std::u16string key = upper(name);
  for (const char16_t* prefix : {u"\\DOSDEVICES\\", u"\\GLOBAL??\\", u"\\\\.\\"}) {
    const std::u16string p(prefix);
    if (key.compare(0, p.size(), p) == 0) return u"\\??\\" + name.substr(p.size());
  }
  return name;
}

struct DeviceEntry {
  DEVICE_OBJECT object;
  std::u16string name;  // as given ("" if unnamed)
  void* extension;
  bool delete_pending;
};

struct DriverEntryRecord {
  DRIVER_OBJECT object;
  std::u16string name;
  std::u16string registry_path;
  UNICODE_STRING registry;
};

struct FileEntry {
  FILE_OBJECT object;
  std::u16string file_name;
};

// The state of one IRP the host sent: the packet, its stack, and what finishing the
// transfer needs.
struct IrpBox {
  IRP irp;
  std::vector<IO_STACK_LOCATION> stack;
  std::mutex mutex;
  std::condition_variable completed_cv;
  bool completed = false;
  // The transfer: buffered results go back to user_output (output_length bytes at most).
  bool copy_back = false;
  void* user_output = nullptr;
  ULONG output_length = 0;
};

// Every object by the address of its Windows structure (which is a member of the entry).
struct Registry {
  std::mutex mutex;
  std::map<std::u16string, DeviceEntry*> devices;  // upper-cased name -> device
  std::map<std::u16string, std::pair<std::u16string, PDRIVER_OBJECT>>
      links;  // upper name -> target
  std::map<const DEVICE_OBJECT*, DeviceEntry*> all_devices;
  std::map<const DRIVER_OBJECT*, DriverEntryRecord*> drivers;
  std::map<const FILE_OBJECT*, FileEntry*> files;
  std::map<const IRP*, IrpBox*> irps;
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed
  return *r;
}

// The entry of a live object, or nullptr. Mutex held.
template <class Map, class Key>
auto find_entry(const Map& map, const Key* key) -> typename Map::mapped_type {
  const auto it = map.find(key);
  return it == map.end() ? nullptr : it->second;
}

thread_local KPROCESSOR_MODE t_previous_mode = KernelMode;

// The default for every major function: what Windows' IopInvalidDeviceRequest does.
NTSTATUS invalid_device_request(PDEVICE_OBJECT, PIRP Irp) {
  Irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_INVALID_DEVICE_REQUEST;
}

bool is_error(NTSTATUS status) { return (static_cast<std::uint32_t>(status) >> 30) == 3; }

[[noreturn]] void io_violation(const char* operation, std::uintptr_t p1, const IRP* irp,
                               const char* message) {
  bug_check_in(operation, DRIVER_VERIFIER_IOMANAGER_VIOLATION, p1,
               reinterpret_cast<std::uintptr_t>(irp), 0, 0, message);
}

// ---- Building, sending and finishing an IRP --------------------------------------------

std::unique_ptr<IrpBox> new_irp(PFILE_OBJECT file, UCHAR major) {
  PDEVICE_OBJECT device = file->DeviceObject;
  auto box = std::make_unique<IrpBox>();
  std::memset(&box->irp, 0, sizeof box->irp);
  const int depth = device->StackSize > 0 ? device->StackSize : 1;
  box->stack.assign(static_cast<std::size_t>(depth), IO_STACK_LOCATION{});
  IRP& irp = box->irp;
  irp.Type = IO_TYPE_IRP;
  irp.Size = static_cast<USHORT>(sizeof(IRP));
  irp.RequestorMode = UserMode;
  irp.StackCount = static_cast<CHAR>(depth);
  irp.CurrentLocation = static_cast<CHAR>(depth);
  irp.Tail.Overlay.CurrentStackLocation = &box->stack.back();
  irp.Tail.Overlay.OriginalFileObject = file;
  irp.Flags = IRP_SYNCHRONOUS_API;
  IO_STACK_LOCATION& top = box->stack.back();
  top.MajorFunction = major;
  top.DeviceObject = device;
  top.FileObject = file;
  return box;
}

// Releases what the I/O manager attached to the IRP: MDLs (unlocked first) and the system
// buffer.
void release_transfer(IrpBox& box) {
  PMDL mdl = box.irp.MdlAddress;
  while (mdl != nullptr) {
    PMDL next = mdl->Next;
    if ((mdl->MdlFlags & MDL_PAGES_LOCKED) != 0) MmUnlockPages(mdl);
    IoFreeMdl(mdl);
    mdl = next;
  }
  box.irp.MdlAddress = nullptr;
  if ((box.irp.Flags & IRP_DEALLOCATE_BUFFER) != 0 && box.irp.AssociatedIrp.SystemBuffer)
    ExFreePoolWithTag(box.irp.AssociatedIrp.SystemBuffer, kSystemBufferTag);
  box.irp.AssociatedIrp.SystemBuffer = nullptr;
}

// Calls the driver, waits for completion, finishes the transfer; returns the final status.
NTSTATUS send(std::unique_ptr<IrpBox> box, ULONG_PTR* information, const char* operation) {
  IRP* irp = &box->irp;
  PDEVICE_OBJECT device = irp->Tail.Overlay.CurrentStackLocation->DeviceObject;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    r.irps[irp] = box.get();
  }
  const UCHAR major = irp->Tail.Overlay.CurrentStackLocation->MajorFunction;
  PDRIVER_DISPATCH dispatch = device->DriverObject->MajorFunction[major];
  if (dispatch == nullptr) dispatch = invalid_device_request;
  const KPROCESSOR_MODE previous = t_previous_mode;
  t_previous_mode = irp->RequestorMode;
  NTSTATUS returned;
  try {
    returned = dispatch(device, irp);
  } catch (...) {
    // An exception escaping a dispatch routine (a bug check the host's callback turned into
    // one, say) reaches the host; the IRP is retired so that nothing stays locked or leaks.
    t_previous_mode = previous;
    {
      Registry& r = registry();
      std::lock_guard<std::mutex> lock(r.mutex);
      r.irps.erase(irp);
    }
    release_transfer(*box);
    throw;
  }
  t_previous_mode = previous;
  {
    std::unique_lock<std::mutex> lock(box->mutex);
    if (returned == STATUS_PENDING) {
      box->completed_cv.wait(lock, [&] { return box->completed; });
    } else if (!box->completed) {
      lock.unlock();
      char message[160];
      std::snprintf(message, sizeof message,
                    "the dispatch routine returned 0x%08X without completing IRP %p (return "
                    "STATUS_PENDING, or call IoCompleteRequest)",
                    static_cast<unsigned>(returned), static_cast<void*>(irp));
      io_violation(operation, 0x10000, irp, message);
    }
  }
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    r.irps.erase(irp);
  }
  NTSTATUS status = irp->IoStatus.Status;
  ULONG_PTR info = irp->IoStatus.Information;
  // Buffered results go back to the caller unless the status is an error (warnings such as
  // STATUS_BUFFER_OVERFLOW return data too).
  if (box->copy_back && !is_error(status) && info != 0) {
    if (info > box->output_length) {
      char message[192];
      std::snprintf(message, sizeof message,
                    "IoStatus.Information is %zu but the caller's output buffer holds %u bytes: "
                    "copying it back would write past the buffer",
                    static_cast<std::size_t>(info), static_cast<unsigned>(box->output_length));
      release_transfer(*box);
      io_violation(operation, 0x10001, irp, message);
    }
    size_t done = 0;
    const NTSTATUS copied =
        umaccess_copy_to_user(box->user_output, irp->AssociatedIrp.SystemBuffer, info, &done);
    if (copied != STATUS_SUCCESS) status = copied;
  }
  release_transfer(*box);
  if (information != nullptr) *information = info;
  return status;
}

// The buffered transfer's system buffer: `length` bytes, the first `input_length` copied from
// the caller's input, the rest zeroed.
NTSTATUS make_system_buffer(IrpBox& box, ULONG length, const void* input, ULONG input_length) {
  void* buffer = ExAllocatePoolWithTag(NonPagedPoolNx, length, kSystemBufferTag);
  if (buffer == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  if (input_length != 0) {
    size_t done = 0;
    const NTSTATUS status = umaccess_copy_from_user(buffer, input, input_length, &done);
    if (status != STATUS_SUCCESS) {
      ExFreePoolWithTag(buffer, kSystemBufferTag);
      return status;
    }
  }
  std::memset(static_cast<char*>(buffer) + input_length, 0, length - input_length);
  box.irp.AssociatedIrp.SystemBuffer = buffer;
  box.irp.Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
  return STATUS_SUCCESS;
}

// The direct transfer's MDL over the caller's buffer, probed and locked.
NTSTATUS make_mdl(IrpBox& box, void* buffer, ULONG length, LOCK_OPERATION operation) {
  PMDL mdl = IoAllocateMdl(buffer, length, FALSE, FALSE, &box.irp);
  if (mdl == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  const NTSTATUS status = umaccess_mm_probe_and_lock_pages(mdl, UserMode, operation);
  if (status != STATUS_SUCCESS) {
    box.irp.MdlAddress = nullptr;
    IoFreeMdl(mdl);
  }
  return status;
}

FileEntry* checked_file(PFILE_OBJECT file, const char* operation) {
  Registry& r = registry();
  std::unique_lock<std::mutex> lock(r.mutex);
  FileEntry* entry = find_entry(r.files, file);
  if (entry == nullptr) {
    lock.unlock();
    char message[96];
    std::snprintf(message, sizeof message, "%p is not an open file object",
                  static_cast<void*>(file));
    bug_check_in(operation, DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x10002,
                 reinterpret_cast<std::uintptr_t>(file), 0, 0, message);
  }
  return entry;
}

void free_device(DeviceEntry* entry) {
  std::free(entry->extension);
  delete entry;
}

void free_driver(DriverEntryRecord* d) { delete d; }

NTSTATUS read_write(PFILE_OBJECT FileObject, PVOID Buffer, ULONG Length, ULONG_PTR* Information,
                    bool read) {
  const char* operation = read ? "UmaIoRead" : "UmaIoWrite";
  checked_file(FileObject, operation);
  if (Information != nullptr) *Information = 0;
  // NtReadFile write-probes the caller's buffer; NtWriteFile range-checks it.
  NTSTATUS status = read ? umaccess_probe_for_write(Buffer, Length, 1)
                         : umaccess_probe_for_read(Buffer, Length, 1);
  if (status != STATUS_SUCCESS) return status;
  auto box = new_irp(FileObject, read ? IRP_MJ_READ : IRP_MJ_WRITE);
  IO_STACK_LOCATION* stack = box->irp.Tail.Overlay.CurrentStackLocation;
  stack->Parameters.Read.Length = Length;  // Read and Write share the layout
  stack->Parameters.Read.ByteOffset = FileObject->CurrentByteOffset;
  const ULONG flags = FileObject->DeviceObject->Flags;
  if ((flags & DO_BUFFERED_IO) != 0) {
    if (Length != 0) {
      status = make_system_buffer(*box, Length, read ? nullptr : Buffer, read ? 0 : Length);
      if (status != STATUS_SUCCESS) return status;
      if (read) {
        box->irp.Flags |= IRP_INPUT_OPERATION;
        box->copy_back = true;
        box->user_output = Buffer;
        box->output_length = Length;
      }
    }
  } else if ((flags & DO_DIRECT_IO) != 0) {
    if (Length != 0) {
      status = make_mdl(*box, Buffer, Length, read ? IoWriteAccess : IoReadAccess);
      if (status != STATUS_SUCCESS) return status;
    }
  }
  box->irp.UserBuffer = Buffer;
  ULONG_PTR info = 0;
  status = send(std::move(box), &info, operation);
  if (NT_SUCCESS(status)) FileObject->CurrentByteOffset.QuadPart += static_cast<LONGLONG>(info);
  if (Information != nullptr) *Information = info;
  return status;
}

}  // namespace
}  // namespace umaccess::detail

using namespace umaccess::detail;

extern "C" {

VOID IoCompleteRequest(PIRP Irp, CCHAR /*PriorityBoost*/) {
  IrpBox* box = nullptr;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    const auto it = r.irps.find(Irp);
    if (it != r.irps.end()) box = it->second;
  }
  if (box == nullptr) {
    char message[128];
    std::snprintf(message, sizeof message,
                  "IRP %p is not in progress: completed already, or never sent",
                  static_cast<void*>(Irp));
    bug_check_in("IoCompleteRequest", MULTIPLE_IRP_COMPLETE_REQUESTS,
                 reinterpret_cast<std::uintptr_t>(Irp), 0, 0, 0, message);
  }
  std::unique_lock<std::mutex> lock(box->mutex);
  if (box->completed) {
    lock.unlock();
    char message[96];
    std::snprintf(message, sizeof message, "IRP %p was completed twice", static_cast<void*>(Irp));
    bug_check_in("IoCompleteRequest", MULTIPLE_IRP_COMPLETE_REQUESTS,
                 reinterpret_cast<std::uintptr_t>(Irp), 0, 0, 0, message);
  }
  box->completed = true;
  box->completed_cv.notify_all();
}

NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
                        PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType,
                        ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                        PDEVICE_OBJECT* DeviceObject) {
  *DeviceObject = nullptr;
  auto* entry = new (std::nothrow) DeviceEntry{};
  if (entry == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  entry->extension = DeviceExtensionSize != 0 ? std::calloc(1, DeviceExtensionSize) : nullptr;
  if (DeviceExtensionSize != 0 && entry->extension == nullptr) {
    delete entry;
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  entry->name = from_unicode(DeviceName);
  DEVICE_OBJECT& d = entry->object;
  d.Type = IO_TYPE_DEVICE;
  d.Size = static_cast<USHORT>(sizeof(DEVICE_OBJECT) + DeviceExtensionSize);
  d.DriverObject = DriverObject;
  d.Flags = DO_DEVICE_INITIALIZING | (Exclusive ? DO_EXCLUSIVE : 0);
  d.Characteristics = DeviceCharacteristics;
  d.DeviceExtension = entry->extension;
  d.DeviceType = DeviceType;
  d.StackSize = 1;
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (!entry->name.empty()) {
    const std::u16string key = upper(entry->name);
    if (r.devices.count(key) != 0 || r.links.count(key) != 0) {
      free_device(entry);
      return STATUS_OBJECT_NAME_COLLISION;
    }
    r.devices[key] = entry;
  }
  r.all_devices[&entry->object] = entry;
  d.NextDevice = DriverObject->DeviceObject;
  DriverObject->DeviceObject = &d;
  *DeviceObject = &d;
  return STATUS_SUCCESS;
}

VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject) {
  Registry& r = registry();
  std::unique_lock<std::mutex> lock(r.mutex);
  DeviceEntry* entry = find_entry(r.all_devices, DeviceObject);
  if (entry == nullptr || entry->delete_pending) {
    lock.unlock();
    bug_check_in("IoDeleteDevice", DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x10003,
                 reinterpret_cast<std::uintptr_t>(DeviceObject), 0, 0,
                 "not a live device object (deleted already?)");
  }
  if (!entry->name.empty()) r.devices.erase(upper(entry->name));
  PDEVICE_OBJECT* link = &DeviceObject->DriverObject->DeviceObject;
  while (*link != nullptr && *link != DeviceObject) link = &(*link)->NextDevice;
  if (*link == DeviceObject) *link = DeviceObject->NextDevice;
  if (DeviceObject->ReferenceCount > 0) {
    entry->delete_pending = true;  // freed when its last file object closes
    return;
  }
  r.all_devices.erase(DeviceObject);
  free_device(entry);
}

NTSTATUS IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName) {
  const std::u16string key = upper(canonical(from_unicode(SymbolicLinkName)));
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (key.empty()) return STATUS_OBJECT_NAME_INVALID;
  if (r.links.count(key) != 0 || r.devices.count(key) != 0) return STATUS_OBJECT_NAME_COLLISION;
  const std::u16string target = from_unicode(DeviceName);
  const auto device = r.devices.find(upper(target));
  PDRIVER_OBJECT owner = device != r.devices.end() ? device->second->object.DriverObject : nullptr;
  r.links[key] = {target, owner};
  return STATUS_SUCCESS;
}

NTSTATUS IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.links.erase(upper(canonical(from_unicode(SymbolicLinkName)))) != 0
             ? STATUS_SUCCESS
             : STATUS_OBJECT_NAME_NOT_FOUND;
}

NTSTATUS IoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  if (Irp->CurrentLocation <= 1) {
    bug_check_in("IoCallDriver", NO_MORE_IRP_STACK_LOCATIONS, reinterpret_cast<std::uintptr_t>(Irp),
                 0, 0, 0, "the IRP has no stack location left for the next driver");
  }
  Irp->CurrentLocation--;
  Irp->Tail.Overlay.CurrentStackLocation--;
  PIO_STACK_LOCATION stack = Irp->Tail.Overlay.CurrentStackLocation;
  stack->DeviceObject = DeviceObject;
  PDRIVER_DISPATCH dispatch = DeviceObject->DriverObject->MajorFunction[stack->MajorFunction];
  return (dispatch != nullptr ? dispatch : invalid_device_request)(DeviceObject, Irp);
}

KPROCESSOR_MODE ExGetPreviousMode(void) { return t_previous_mode; }

// ---- The host API ------------------------------------------------------------------------

NTSTATUS UmaIoLoadDriver(PDRIVER_INITIALIZE DriverEntry, PCSTR ServiceName,
                         PDRIVER_OBJECT* DriverObject) {
  *DriverObject = nullptr;
  auto* d = new DriverEntryRecord{};
  const std::u16string service = from_ascii(ServiceName);
  d->name = u"\\Driver\\" + service;
  d->registry_path = u"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\" + service;
  DRIVER_OBJECT& o = d->object;
  o.Type = IO_TYPE_DRIVER;
  o.Size = static_cast<CSHORT>(sizeof(DRIVER_OBJECT));
  o.DriverName = {static_cast<USHORT>(d->name.size() * 2), static_cast<USHORT>(d->name.size() * 2),
                  &d->name[0]};
  d->registry = {static_cast<USHORT>(d->registry_path.size() * 2),
                 static_cast<USHORT>(d->registry_path.size() * 2), &d->registry_path[0]};
  o.DriverInit = DriverEntry;
  for (auto& f : o.MajorFunction) f = invalid_device_request;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    r.drivers[&d->object] = d;
  }
  const NTSTATUS status = DriverEntry(&o, &d->registry);
  if (!NT_SUCCESS(status)) {
    while (o.DeviceObject != nullptr) IoDeleteDevice(o.DeviceObject);
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    for (auto it = r.links.begin(); it != r.links.end();)
      it = it->second.second == &o ? r.links.erase(it) : std::next(it);
    r.drivers.erase(&o);
    free_driver(d);
    return status;
  }
  *DriverObject = &o;
  return status;
}

NTSTATUS UmaIoUnloadDriver(PDRIVER_OBJECT DriverObject) {
  DriverEntryRecord* d = nullptr;
  Registry& r = registry();
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    d = find_entry(r.drivers, DriverObject);
    if (d == nullptr) return STATUS_INVALID_PARAMETER;
    for (PDEVICE_OBJECT dev = DriverObject->DeviceObject; dev != nullptr; dev = dev->NextDevice)
      if (dev->ReferenceCount > 0) return STATUS_INVALID_DEVICE_STATE;
  }
  if (DriverObject->DriverUnload == nullptr) return STATUS_INVALID_DEVICE_REQUEST;
  DriverObject->DriverUnload(DriverObject);
  bool leaked = DriverObject->DeviceObject != nullptr;
  while (DriverObject->DeviceObject != nullptr) IoDeleteDevice(DriverObject->DeviceObject);
  std::lock_guard<std::mutex> lock(r.mutex);
  for (auto it = r.links.begin(); it != r.links.end();) {
    if (it->second.second == DriverObject) {
      leaked = true;
      it = r.links.erase(it);
    } else {
      ++it;
    }
  }
  r.drivers.erase(DriverObject);
  free_driver(d);
  return leaked ? STATUS_INVALID_DEVICE_STATE : STATUS_SUCCESS;
}

NTSTATUS UmaIoOpen(PCSTR Name, PFILE_OBJECT* FileObject) {
  *FileObject = nullptr;
  std::u16string name = canonical(from_ascii(Name));
  Registry& r = registry();
  DeviceEntry* device = nullptr;
  std::u16string rest;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    // A symbolic link (the whole name, or its first components) leads to a device name.
    const std::u16string key = upper(name);
    for (const auto& link : r.links) {
      const std::u16string& l = link.first;
      if (key.compare(0, l.size(), l) == 0 && (key.size() == l.size() || key[l.size()] == u'\\')) {
        name = link.second.first + name.substr(l.size());
        break;
      }
    }
    const std::u16string target = upper(name);
    for (const auto& dev : r.devices) {
      const std::u16string& n = dev.first;
      if (target.compare(0, n.size(), n) == 0 &&
          (target.size() == n.size() || target[n.size()] == u'\\')) {
        device = dev.second;
        rest = name.substr(n.size());
        break;
      }
    }
    if (device == nullptr) return STATUS_OBJECT_NAME_NOT_FOUND;
    if ((device->object.Flags & DO_EXCLUSIVE) != 0 && device->object.ReferenceCount > 0)
      return STATUS_ACCESS_DENIED;
    device->object.ReferenceCount++;
  }
  auto* file = new FileEntry{};
  file->file_name = rest;
  FILE_OBJECT& f = file->object;
  f.Type = IO_TYPE_FILE;
  f.Size = static_cast<CSHORT>(sizeof(FILE_OBJECT));
  f.DeviceObject = &device->object;
  f.ReadAccess = f.WriteAccess = TRUE;
  f.FileName = {static_cast<USHORT>(rest.size() * 2), static_cast<USHORT>(rest.size() * 2),
                rest.empty() ? nullptr : &file->file_name[0]};
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    r.files[&file->object] = file;
  }
  auto box = new_irp(&f, IRP_MJ_CREATE);
  const NTSTATUS status = send(std::move(box), nullptr, "UmaIoOpen");
  if (!NT_SUCCESS(status)) {
    std::lock_guard<std::mutex> lock(r.mutex);
    r.files.erase(&file->object);
    device->object.ReferenceCount--;
    delete file;
    return status;
  }
  *FileObject = &f;
  return status;
}

NTSTATUS UmaIoClose(PFILE_OBJECT FileObject) {
  FileEntry* file = checked_file(FileObject, "UmaIoClose");
  send(new_irp(FileObject, IRP_MJ_CLEANUP), nullptr, "UmaIoClose");
  send(new_irp(FileObject, IRP_MJ_CLOSE), nullptr, "UmaIoClose");
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  DeviceEntry* device = find_entry(r.all_devices, FileObject->DeviceObject);
  r.files.erase(FileObject);
  delete file;
  if (device != nullptr && --device->object.ReferenceCount == 0 && device->delete_pending) {
    r.all_devices.erase(&device->object);
    free_device(device);
  }
  return STATUS_SUCCESS;
}

NTSTATUS UmaIoDeviceControl(PFILE_OBJECT FileObject, ULONG IoControlCode, PVOID InputBuffer,
                            ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength,
                            ULONG_PTR* Information) {
  checked_file(FileObject, "UmaIoDeviceControl");
  if (Information != nullptr) *Information = 0;
  const ULONG method = METHOD_FROM_CTL_CODE(IoControlCode);
  NTSTATUS status = STATUS_SUCCESS;
  if (method != METHOD_NEITHER) {
    // The caller cannot claim a length for a buffer it did not pass.
    if (InputBuffer == nullptr) InputBufferLength = 0;
    if (OutputBuffer == nullptr) OutputBufferLength = 0;
    if (method == METHOD_BUFFERED && OutputBufferLength != 0 &&
        (status = umaccess_probe_for_write(OutputBuffer, OutputBufferLength, 1)) != STATUS_SUCCESS)
      return status;
    if (InputBufferLength != 0 &&
        (status = umaccess_probe_for_read(InputBuffer, InputBufferLength, 1)) != STATUS_SUCCESS)
      return status;
  }
  auto box = new_irp(FileObject, IRP_MJ_DEVICE_CONTROL);
  IO_STACK_LOCATION* stack = box->irp.Tail.Overlay.CurrentStackLocation;
  stack->Parameters.DeviceIoControl.OutputBufferLength = OutputBufferLength;
  stack->Parameters.DeviceIoControl.InputBufferLength = InputBufferLength;
  stack->Parameters.DeviceIoControl.IoControlCode = IoControlCode;
  switch (method) {
    case METHOD_BUFFERED: {
      const ULONG length = std::max(InputBufferLength, OutputBufferLength);
      if (length != 0) {
        status = make_system_buffer(*box, length, InputBuffer, InputBufferLength);
        if (status != STATUS_SUCCESS) return status;
      }
      if (OutputBufferLength != 0) {
        box->irp.Flags |= IRP_INPUT_OPERATION;
        box->copy_back = true;
        box->user_output = OutputBuffer;
        box->output_length = OutputBufferLength;
      }
      box->irp.UserBuffer = OutputBuffer;
      break;
    }
    case METHOD_IN_DIRECT:
    case METHOD_OUT_DIRECT:
      if (InputBufferLength != 0) {
        status = make_system_buffer(*box, InputBufferLength, InputBuffer, InputBufferLength);
        if (status != STATUS_SUCCESS) return status;
      }
      if (OutputBufferLength != 0) {
        status = make_mdl(*box, OutputBuffer, OutputBufferLength,
                          method == METHOD_IN_DIRECT ? IoReadAccess : IoWriteAccess);
        if (status != STATUS_SUCCESS) {
          release_transfer(*box);
          return status;
        }
      }
      box->irp.UserBuffer = OutputBuffer;
      break;
    default:  // METHOD_NEITHER: the caller's pointers, as they are
      stack->Parameters.DeviceIoControl.Type3InputBuffer = InputBuffer;
      box->irp.UserBuffer = OutputBuffer;
      break;
  }
  return send(std::move(box), Information, "UmaIoDeviceControl");
}

NTSTATUS UmaIoRead(PFILE_OBJECT FileObject, PVOID Buffer, ULONG Length, ULONG_PTR* Information) {
  return read_write(FileObject, Buffer, Length, Information, true);
}

NTSTATUS UmaIoWrite(PFILE_OBJECT FileObject, PVOID Buffer, ULONG Length, ULONG_PTR* Information) {
  return read_write(FileObject, Buffer, Length, Information, false);
}

SIZE_T UmaIoOutstandingIrpCount(void) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.irps.size();
}

SIZE_T UmaIoDeviceCount(void) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.all_devices.size();
}

SIZE_T UmaIoSymbolicLinkCount(void) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.links.size();
}

}  // extern "C"
