// SPDX-License-Identifier: Apache-2.0
// src/wdf_request.cpp - the KMDF framework of umaccess/wdf.h on top of the I/O manager
// (src/io_manager.cpp): driver, device, queue, file and request objects, the dispatch of IRPs
// to a device's EvtIoInCallerContext and queues, and the request buffer functions with
// KMDF's rules
// (https://learn.microsoft.com/en-us/windows-hardware/drivers/wdf/accessing-data-buffers-in-wdf-drivers).
//
// Handles are pointers to the objects below, checked against the set of live objects before
// use: a stale or garbage handle (a request completed twice, say) is a bug check
// WDF_VIOLATION, never a dereference. Requests own what they hand out (memory objects over
// their buffers, MDLs locked by WdfRequestProbeAndLockUserBufferFor...) and release it when
// they complete.
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "failure.h"
#include "umaccess/wdf.h"

namespace umaccess::detail {

bool wdf_delete_framework_object(WDFOBJECT handle);  // called by WdfObjectDelete

namespace {

enum class Kind { Driver, Device, Queue, Request, File };
const char* kind_name(Kind k) {
  static const char* const names[] = {"WDFDRIVER", "WDFDEVICE", "WDFQUEUE", "WDFREQUEST",
                                      "WDFFILEOBJECT"};
  return names[static_cast<int>(k)];
}

struct Object {
  explicit Object(Kind k) : kind(k) {}
  virtual ~Object() {
    for (auto& c : contexts) std::free(c.second);
  }
  Kind kind;
  PFN_WDF_OBJECT_CONTEXT_CLEANUP cleanup = nullptr;
  PFN_WDF_OBJECT_CONTEXT_DESTROY destroy = nullptr;
  std::vector<std::pair<PCWDF_OBJECT_CONTEXT_TYPE_INFO, void*>> contexts;
};

struct Device;
struct Driver : Object {
  Driver() : Object(Kind::Driver) {}
  PDRIVER_OBJECT wdm = nullptr;
  WDF_DRIVER_CONFIG config{};
  std::vector<Device*> devices;
};

}  // namespace
}  // namespace umaccess::detail

// The device-initialization object (an opaque type in wdf.h).
struct WDFDEVICE_INIT {
  umaccess::detail::Driver* driver = nullptr;
  bool control = false;
  BOOLEAN exclusive = FALSE;
  WDF_DEVICE_IO_TYPE io_type = WdfDeviceIoBuffered;
  bool named = false;
  std::u16string name;
  DEVICE_TYPE device_type = FILE_DEVICE_UNKNOWN;
  ULONG characteristics = FILE_DEVICE_SECURE_OPEN;
  WDF_FILEOBJECT_CONFIG file_config{};
  bool has_file_attributes = false;
  WDF_OBJECT_ATTRIBUTES file_attributes{};
  PFN_WDF_IO_IN_CALLER_CONTEXT in_caller_context = nullptr;
};

namespace umaccess::detail {
namespace {

struct Queue;
struct File;
struct Device : Object {
  Device() : Object(Kind::Device) {}
  Driver* driver = nullptr;
  PDEVICE_OBJECT wdm = nullptr;
  WDFDEVICE_INIT init;
  std::vector<std::u16string> links;
  std::vector<Queue*> queues;
  Queue* default_queue = nullptr;
  std::map<WDF_REQUEST_TYPE, Queue*> dispatch;
  std::map<PFILE_OBJECT, File*> files;
};

struct Queue : Object {
  Queue() : Object(Kind::Queue) {}
  Device* device = nullptr;
  WDF_IO_QUEUE_CONFIG config{};
  std::mutex mutex;
  std::condition_variable idle;
  bool busy = false;  // a sequential queue's request is presented and not completed
};

struct File : Object {
  File() : Object(Kind::File) {}
  Device* device = nullptr;
  PFILE_OBJECT wdm = nullptr;
};

struct Request : Object {
  Request() : Object(Kind::Request) {}
  PIRP irp = nullptr;
  Device* device = nullptr;
  File* file = nullptr;
  WDF_REQUEST_TYPE type = WdfRequestTypeOther;
  std::thread::id creator;
  bool in_caller_context = false;
  ULONG_PTR information = 0;
  WDFMEMORY input_memory = nullptr;
  WDFMEMORY output_memory = nullptr;
  std::vector<WDFMEMORY> memories;  // released at completion
  std::vector<PMDL> locked;         // unlocked and freed at completion
  Queue* held_queue = nullptr;      // the sequential queue this request occupies
  std::shared_ptr<bool> completed = std::make_shared<bool>(false);
};

std::mutex g_mutex;
std::set<const Object*> g_live;
std::map<const DRIVER_OBJECT*, Driver*> g_drivers;
std::map<const DEVICE_OBJECT*, Device*> g_devices;
std::set<const WDFDEVICE_INIT*> g_inits;  // allocated and not yet consumed or freed

WDFDEVICE_INIT* new_init(Driver* driver, bool control) {
  auto* init = new (std::nothrow) WDFDEVICE_INIT;
  if (init == nullptr) return nullptr;
  init->driver = driver;
  init->control = control;
  std::lock_guard<std::mutex> lock(g_mutex);
  g_inits.insert(init);
  return init;
}

void free_init(WDFDEVICE_INIT* init) {
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_inits.erase(init) == 0) return;
  }
  delete init;
}

template <class H>
Object* as_object(H handle) {
  return reinterpret_cast<Object*>(handle);
}

[[noreturn]] void bad_handle(const char* operation, Kind kind, const void* handle) {
  char message[128];
  std::snprintf(message, sizeof message, "%s %p is not a live framework object", kind_name(kind),
                handle);
  bug_check_in(operation, WDF_VIOLATION, WDF_INVALID_HANDLE,
               reinterpret_cast<std::uintptr_t>(handle), 0, 0, message);
}

template <class T>
T* get(const void* handle, Kind kind, const char* operation) {
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    const auto* o = static_cast<const Object*>(handle);
    if (g_live.count(o) != 0 && o->kind == kind) return static_cast<T*>(const_cast<Object*>(o));
  }
  bad_handle(operation, kind, handle);
}

void register_object(Object* o) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_live.insert(o);
}

void unregister_object(Object* o) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_live.erase(o);
}

NTSTATUS add_context(Object* o, PCWDF_OBJECT_CONTEXT_TYPE_INFO type, size_t size_override,
                     PVOID* out) {
  if (type == nullptr) return STATUS_INVALID_PARAMETER;
  for (auto& c : o->contexts)
    if (c.first == type) {
      if (out != nullptr) *out = c.second;
      return STATUS_OBJECT_NAME_EXISTS;
    }
  const size_t size = std::max(type->ContextSize, size_override);
  void* memory = std::calloc(1, size == 0 ? 1 : size);
  if (memory == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  o->contexts.emplace_back(type, memory);
  if (out != nullptr) *out = memory;
  return STATUS_SUCCESS;
}

// Applies creation attributes: callbacks and the context. STATUS_INFO_LENGTH_MISMATCH for a
// bad Size, as KMDF checks it.
NTSTATUS apply_attributes(Object* o, PWDF_OBJECT_ATTRIBUTES attributes) {
  if (attributes == WDF_NO_OBJECT_ATTRIBUTES) return STATUS_SUCCESS;
  if (attributes->Size != sizeof(WDF_OBJECT_ATTRIBUTES)) return STATUS_INFO_LENGTH_MISMATCH;
  o->cleanup = attributes->EvtCleanupCallback;
  o->destroy = attributes->EvtDestroyCallback;
  if (attributes->ContextTypeInfo != nullptr)
    return add_context(o, attributes->ContextTypeInfo, attributes->ContextSizeOverride, nullptr);
  return STATUS_SUCCESS;
}

// Cleanup callback (handle still valid), then the handle dies, then destroy and free.
void destroy_object(Object* o) {
  if (o->cleanup != nullptr) o->cleanup(reinterpret_cast<WDFOBJECT>(o));
  unregister_object(o);
  if (o->destroy != nullptr) o->destroy(reinterpret_cast<WDFOBJECT>(o));
  delete o;
}

void delete_file(File* f) {
  f->device->files.erase(f->wdm);
  destroy_object(f);
}

void delete_queue(Queue* q) {
  Device* d = q->device;
  d->queues.erase(std::remove(d->queues.begin(), d->queues.end(), q), d->queues.end());
  if (d->default_queue == q) d->default_queue = nullptr;
  for (auto it = d->dispatch.begin(); it != d->dispatch.end();)
    it = it->second == q ? d->dispatch.erase(it) : std::next(it);
  destroy_object(q);
}

void delete_device(Device* d) {
  while (!d->queues.empty()) delete_queue(d->queues.back());
  while (!d->files.empty()) delete_file(d->files.begin()->second);
  for (auto& link : d->links) {
    UNICODE_STRING name{static_cast<USHORT>(link.size() * 2), static_cast<USHORT>(link.size() * 2),
                        &link[0]};
    IoDeleteSymbolicLink(&name);
  }
  auto& list = d->driver->devices;
  list.erase(std::remove(list.begin(), list.end(), d), list.end());
  if (d->cleanup != nullptr) d->cleanup(reinterpret_cast<WDFOBJECT>(d));
  d->cleanup = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_devices.erase(d->wdm);
  }
  IoDeleteDevice(d->wdm);
  destroy_object(d);
}

// ---- Completion -----------------------------------------------------------------------------

void release_queue(Request* r) {
  if (Queue* q = r->held_queue) {
    std::lock_guard<std::mutex> lock(q->mutex);
    q->busy = false;
    q->idle.notify_one();
    r->held_queue = nullptr;
  }
}

void complete(WDFREQUEST handle, NTSTATUS status, const ULONG_PTR* information,
              const char* operation) {
  Request* r = get<Request>(handle, Kind::Request, operation);
  // The cleanup callback runs while the handle is still valid; then the handle dies, so a
  // second completion finds a dead handle: WDF_VIOLATION.
  if (r->cleanup != nullptr) r->cleanup(reinterpret_cast<WDFOBJECT>(r));
  r->cleanup = nullptr;
  unregister_object(r);
  for (WDFMEMORY m : r->memories) WdfObjectDelete(m);
  for (PMDL mdl : r->locked) {
    MmUnlockPages(mdl);
    IoFreeMdl(mdl);
  }
  if (information != nullptr) r->information = *information;
  PIRP irp = r->irp;
  irp->IoStatus.Status = status;
  irp->IoStatus.Information = r->information;
  if (r->type == WdfRequestTypeCreate && !NT_SUCCESS(status) && r->file != nullptr)
    delete_file(r->file);
  *r->completed = true;
  release_queue(r);
  if (r->destroy != nullptr) r->destroy(reinterpret_cast<WDFOBJECT>(r));
  delete r;
  IoCompleteRequest(irp, IO_NO_INCREMENT);
}

// ---- Presenting requests to queues -----------------------------------------------------------

size_t request_length(const Request* r) {
  const IO_STACK_LOCATION* s = IoGetCurrentIrpStackLocation(r->irp);
  return r->type == WdfRequestTypeRead || r->type == WdfRequestTypeWrite ? s->Parameters.Read.Length
                                                                         : 0;
}

void present(Request* r) {
  Device* d = r->device;
  const auto configured = d->dispatch.find(r->type);
  Queue* q = configured != d->dispatch.end() ? configured->second : d->default_queue;
  const WDFREQUEST handle = reinterpret_cast<WDFREQUEST>(r);
  if (q == nullptr) return complete(handle, STATUS_INVALID_DEVICE_REQUEST, nullptr, "WdfIoQueue");
  const IO_STACK_LOCATION* s = IoGetCurrentIrpStackLocation(r->irp);
  const bool read_write = r->type == WdfRequestTypeRead || r->type == WdfRequestTypeWrite;
  if (read_write && request_length(r) == 0 && !q->config.AllowZeroLengthRequests) {
    const ULONG_PTR zero = 0;
    return complete(handle, STATUS_SUCCESS, &zero, "WdfIoQueue");
  }
  const WDF_IO_QUEUE_CONFIG& c = q->config;
  const bool handled =
      (r->type == WdfRequestTypeRead && c.EvtIoRead) ||
      (r->type == WdfRequestTypeWrite && c.EvtIoWrite) ||
      (r->type == WdfRequestTypeDeviceControl && c.EvtIoDeviceControl) ||
      (r->type == WdfRequestTypeDeviceControlInternal && c.EvtIoInternalDeviceControl) ||
      c.EvtIoDefault;
  if (!handled) return complete(handle, STATUS_INVALID_DEVICE_REQUEST, nullptr, "WdfIoQueue");
  if (c.DispatchType == WdfIoQueueDispatchSequential) {
    std::unique_lock<std::mutex> lock(q->mutex);
    q->idle.wait(lock, [&] { return !q->busy; });
    q->busy = true;
    r->held_queue = q;
  }
  const WDFQUEUE queue = reinterpret_cast<WDFQUEUE>(q);
  switch (r->type) {
    case WdfRequestTypeRead:
      if (c.EvtIoRead) return c.EvtIoRead(queue, handle, s->Parameters.Read.Length);
      break;
    case WdfRequestTypeWrite:
      if (c.EvtIoWrite) return c.EvtIoWrite(queue, handle, s->Parameters.Write.Length);
      break;
    case WdfRequestTypeDeviceControl:
      if (c.EvtIoDeviceControl)
        return c.EvtIoDeviceControl(queue, handle, s->Parameters.DeviceIoControl.OutputBufferLength,
                                    s->Parameters.DeviceIoControl.InputBufferLength,
                                    s->Parameters.DeviceIoControl.IoControlCode);
      break;
    case WdfRequestTypeDeviceControlInternal:
      if (c.EvtIoInternalDeviceControl)
        return c.EvtIoInternalDeviceControl(queue, handle,
                                            s->Parameters.DeviceIoControl.OutputBufferLength,
                                            s->Parameters.DeviceIoControl.InputBufferLength,
                                            s->Parameters.DeviceIoControl.IoControlCode);
      break;
    default: break;
  }
  c.EvtIoDefault(queue, handle);
}

Request* new_request(Device* d, PIRP irp) {
  auto* r = new Request;
  r->irp = irp;
  r->device = d;
  r->type = static_cast<WDF_REQUEST_TYPE>(IoGetCurrentIrpStackLocation(irp)->MajorFunction);
  r->creator = std::this_thread::get_id();
  const auto f = d->files.find(IoGetCurrentIrpStackLocation(irp)->FileObject);
  r->file = f != d->files.end() ? f->second : nullptr;
  register_object(r);
  return r;
}

void complete_irp(PIRP irp, NTSTATUS status) {
  irp->IoStatus.Status = status;
  irp->IoStatus.Information = 0;
  IoCompleteRequest(irp, IO_NO_INCREMENT);
}

// Every IRP of a framework driver comes here.
NTSTATUS framework_dispatch(PDEVICE_OBJECT device_object, PIRP irp) {
  Device* d;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    const auto it = g_devices.find(device_object);
    d = it != g_devices.end() ? it->second : nullptr;
  }
  if (d == nullptr) {
    complete_irp(irp, STATUS_INVALID_DEVICE_REQUEST);
    return STATUS_INVALID_DEVICE_REQUEST;
  }
  PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);
  const WDF_FILEOBJECT_CONFIG& fc = d->init.file_config;
  switch (s->MajorFunction) {
    case IRP_MJ_CREATE: {
      auto* f = new File;
      f->device = d;
      f->wdm = s->FileObject;
      register_object(f);
      NTSTATUS status = d->init.has_file_attributes ? apply_attributes(f, &d->init.file_attributes)
                                                    : STATUS_SUCCESS;
      d->files[s->FileObject] = f;
      if (!NT_SUCCESS(status)) {
        delete_file(f);
        complete_irp(irp, status);
        return status;
      }
      if (fc.EvtDeviceFileCreate == nullptr) {
        complete_irp(irp, STATUS_SUCCESS);
        return STATUS_SUCCESS;
      }
      Request* r = new_request(d, irp);
      const auto done = r->completed;
      fc.EvtDeviceFileCreate(reinterpret_cast<WDFDEVICE>(d), reinterpret_cast<WDFREQUEST>(r),
                             reinterpret_cast<WDFFILEOBJECT>(f));
      if (*done) return irp->IoStatus.Status;
      IoMarkIrpPending(irp);
      return STATUS_PENDING;
    }
    case IRP_MJ_CLEANUP:
    case IRP_MJ_CLOSE: {
      const auto it = d->files.find(s->FileObject);
      if (it != d->files.end()) {
        const auto handle = reinterpret_cast<WDFFILEOBJECT>(it->second);
        if (s->MajorFunction == IRP_MJ_CLEANUP && fc.EvtFileCleanup) fc.EvtFileCleanup(handle);
        if (s->MajorFunction == IRP_MJ_CLOSE) {
          if (fc.EvtFileClose) fc.EvtFileClose(handle);
          delete_file(it->second);
        }
      }
      complete_irp(irp, STATUS_SUCCESS);
      return STATUS_SUCCESS;
    }
    default: {
      Request* r = new_request(d, irp);
      const auto done = r->completed;
      if (d->init.in_caller_context != nullptr) {
        r->in_caller_context = true;
        d->init.in_caller_context(reinterpret_cast<WDFDEVICE>(d), reinterpret_cast<WDFREQUEST>(r));
        if (!*done) r->in_caller_context = false;  // still alive: enqueued or kept
      } else {
        present(r);
      }
      if (*done) return irp->IoStatus.Status;
      IoMarkIrpPending(irp);
      return STATUS_PENDING;
    }
  }
}

VOID framework_unload(PDRIVER_OBJECT driver_object) {
  Driver* drv;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    drv = g_drivers.at(driver_object);
  }
  if (drv->config.EvtDriverUnload) drv->config.EvtDriverUnload(reinterpret_cast<WDFDRIVER>(drv));
  while (!drv->devices.empty()) delete_device(drv->devices.back());
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_drivers.erase(driver_object);
  }
  destroy_object(drv);
}

// ---- Buffers of a request ---------------------------------------------------------------------

// The buffer a buffered or direct request carries for input or output (KMDF's
// FxRequest::GetMemoryObject rules).
NTSTATUS request_buffer(Request* r, bool input, PVOID* buffer, size_t* length, PMDL* mdl) {
  PIRP irp = r->irp;
  const IO_STACK_LOCATION* s = IoGetCurrentIrpStackLocation(irp);
  *buffer = nullptr;
  *length = 0;
  if (mdl != nullptr) *mdl = nullptr;
  bool buffered = (irp->Flags & IRP_BUFFERED_IO) != 0;
  PMDL direct = irp->MdlAddress;
  switch (r->type) {
    case WdfRequestTypeDeviceControl:
    case WdfRequestTypeDeviceControlInternal: {
      const ULONG method = METHOD_FROM_CTL_CODE(s->Parameters.DeviceIoControl.IoControlCode);
      *length = input ? s->Parameters.DeviceIoControl.InputBufferLength
                      : s->Parameters.DeviceIoControl.OutputBufferLength;
      if (method == METHOD_NEITHER) {
        if (irp->RequestorMode != KernelMode && r->type == WdfRequestTypeDeviceControl)
          return STATUS_INVALID_DEVICE_REQUEST;
        *buffer = input ? s->Parameters.DeviceIoControl.Type3InputBuffer : irp->UserBuffer;
        break;
      }
      if (input || method == METHOD_BUFFERED) {
        *buffer = irp->AssociatedIrp.SystemBuffer;
        break;
      }
      if (direct == nullptr) break;  // a zero-length output buffer
      if (mdl != nullptr) *mdl = direct;
      *buffer = MmGetSystemAddressForMdlSafe(direct, NormalPagePriority);
      if (*buffer == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
      break;
    }
    case WdfRequestTypeRead:
    case WdfRequestTypeWrite:
      if (input != (r->type == WdfRequestTypeWrite)) return STATUS_INVALID_DEVICE_REQUEST;
      *length = s->Parameters.Read.Length;
      if (buffered) {
        *buffer = irp->AssociatedIrp.SystemBuffer;
      } else if (direct != nullptr) {
        if (mdl != nullptr) *mdl = direct;
        *buffer = MmGetSystemAddressForMdlSafe(direct, NormalPagePriority);
        if (*buffer == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
      } else if (*length != 0) {
        if (irp->RequestorMode != KernelMode) return STATUS_INVALID_DEVICE_REQUEST;  // neither
        *buffer = irp->UserBuffer;
      }
      break;
    default: return STATUS_INVALID_DEVICE_REQUEST;
  }
  return STATUS_SUCCESS;
}

NTSTATUS retrieve(WDFREQUEST handle, bool input, size_t minimum, PVOID* buffer, size_t* length,
                  const char* operation) {
  Request* r = get<Request>(handle, Kind::Request, operation);
  PVOID b;
  size_t n;
  const NTSTATUS status = request_buffer(r, input, &b, &n, nullptr);
  if (!NT_SUCCESS(status)) return status;
  if (n == 0 || n < minimum) return STATUS_BUFFER_TOO_SMALL;
  *buffer = b;
  if (length != nullptr) *length = n;
  return STATUS_SUCCESS;
}

NTSTATUS retrieve_unsafe(WDFREQUEST handle, bool input, size_t minimum, PVOID* buffer,
                         size_t* length, const char* operation) {
  Request* r = get<Request>(handle, Kind::Request, operation);
  if (!r->in_caller_context || r->creator != std::this_thread::get_id())
    return STATUS_INVALID_DEVICE_REQUEST;
  PIRP irp = r->irp;
  const IO_STACK_LOCATION* s = IoGetCurrentIrpStackLocation(irp);
  PVOID b = nullptr;
  size_t n = 0;
  const bool neither_rw = (irp->Flags & IRP_BUFFERED_IO) == 0 && irp->MdlAddress == nullptr;
  if (r->type == WdfRequestTypeDeviceControl &&
      METHOD_FROM_CTL_CODE(s->Parameters.DeviceIoControl.IoControlCode) == METHOD_NEITHER) {
    b = input ? s->Parameters.DeviceIoControl.Type3InputBuffer : irp->UserBuffer;
    n = input ? s->Parameters.DeviceIoControl.InputBufferLength
              : s->Parameters.DeviceIoControl.OutputBufferLength;
  } else if (neither_rw && r->type == (input ? WdfRequestTypeWrite : WdfRequestTypeRead)) {
    b = irp->UserBuffer;
    n = s->Parameters.Read.Length;
  } else {
    return STATUS_INVALID_DEVICE_REQUEST;
  }
  if (n < minimum) return STATUS_BUFFER_TOO_SMALL;
  *buffer = b;
  if (length != nullptr) *length = n;
  return STATUS_SUCCESS;
}

NTSTATUS probe_and_lock(WDFREQUEST handle, PVOID buffer, size_t length, WDFMEMORY* memory,
                        bool write, const char* operation) {
  Request* r = get<Request>(handle, Kind::Request, operation);
  if (memory == nullptr) return STATUS_INVALID_PARAMETER;
  *memory = nullptr;
  if (length == 0) return STATUS_INVALID_USER_BUFFER;
  if (r->creator != std::this_thread::get_id()) return STATUS_ACCESS_VIOLATION;
  if (length > 0xFFFFFFFFu) return STATUS_INSUFFICIENT_RESOURCES;
  PMDL mdl = IoAllocateMdl(buffer, static_cast<ULONG>(length), FALSE, FALSE, nullptr);
  if (mdl == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  NTSTATUS status = umaccess_mm_probe_and_lock_pages(mdl, r->irp->RequestorMode,
                                                     write ? IoWriteAccess : IoReadAccess);
  if (!NT_SUCCESS(status)) {
    IoFreeMdl(mdl);
    return status;
  }
  PVOID system = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
  WDFMEMORY m = nullptr;
  status =
      write ? WdfMemoryCreatePreallocated(WDF_NO_OBJECT_ATTRIBUTES, system, length, &m)
            : UmaWdfMemoryCreatePreallocatedReadOnly(WDF_NO_OBJECT_ATTRIBUTES, system, length, &m);
  if (!NT_SUCCESS(status)) {
    MmUnlockPages(mdl);
    IoFreeMdl(mdl);
    return status;
  }
  r->locked.push_back(mdl);
  r->memories.push_back(m);
  *memory = m;
  return STATUS_SUCCESS;
}

NTSTATUS retrieve_mdl(WDFREQUEST Request, bool input, PMDL* Mdl, const char* operation) {
  auto* r = get<umaccess::detail::Request>(Request, Kind::Request, operation);
  PVOID buffer;
  size_t length;
  PMDL mdl = nullptr;
  const NTSTATUS status = request_buffer(r, input, &buffer, &length, &mdl);
  if (!NT_SUCCESS(status)) return status;
  if (mdl == nullptr) return length == 0 ? STATUS_BUFFER_TOO_SMALL : STATUS_INVALID_DEVICE_REQUEST;
  *Mdl = mdl;
  return STATUS_SUCCESS;
}
}  // namespace

bool wdf_delete_framework_object(WDFOBJECT handle) {
  Object* o = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    const auto* p = static_cast<const Object*>(handle);
    if (g_live.count(p) == 0) return false;
    o = const_cast<Object*>(p);
  }
  switch (o->kind) {
    case Kind::Device: delete_device(static_cast<Device*>(o)); return true;
    case Kind::Queue: delete_queue(static_cast<Queue*>(o)); return true;
    default: return false;  // drivers, requests and file objects are deleted by the framework
  }
}

}  // namespace umaccess::detail

using namespace umaccess::detail;

extern "C" {

const UNICODE_STRING SDDL_DEVOBJ_SYS_ALL_ADM_RWX_GEN_ALL = {0, 0, nullptr};
const UNICODE_STRING SDDL_DEVOBJ_SYS_ALL_ADM_ALL = {0, 0, nullptr};
const UNICODE_STRING SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R = {0, 0, nullptr};
const UNICODE_STRING SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R_RES_R = {0, 0, nullptr};
const UNICODE_STRING SDDL_DEVOBJ_SYS_ALL = {0, 0, nullptr};

PVOID WdfObjectGetTypedContextWorker(WDFOBJECT Handle, PCWDF_OBJECT_CONTEXT_TYPE_INFO TypeInfo) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const auto* o = static_cast<const Object*>(Handle);
  if (g_live.count(o) == 0) return nullptr;
  for (const auto& c : o->contexts)
    if (c.first == TypeInfo || c.first == TypeInfo->UniqueType) return c.second;
  return nullptr;
}

NTSTATUS WdfObjectAllocateContext(WDFOBJECT Handle, PWDF_OBJECT_ATTRIBUTES ContextAttributes,
                                  PVOID* Context) {
  Object* o;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    const auto* p = static_cast<const Object*>(Handle);
    if (g_live.count(p) == 0)
      o = nullptr;
    else
      o = const_cast<Object*>(p);
  }
  if (o == nullptr) bad_handle("WdfObjectAllocateContext", Kind::Request, Handle);
  if (ContextAttributes == nullptr || ContextAttributes->Size != sizeof(WDF_OBJECT_ATTRIBUTES))
    return STATUS_INVALID_PARAMETER;
  return add_context(o, ContextAttributes->ContextTypeInfo, ContextAttributes->ContextSizeOverride,
                     Context);
}

NTSTATUS WdfDriverCreate(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING /*RegistryPath*/,
                         PWDF_OBJECT_ATTRIBUTES DriverAttributes, PWDF_DRIVER_CONFIG DriverConfig,
                         WDFDRIVER* Driver) {
  if (DriverConfig == nullptr || DriverConfig->Size != sizeof(WDF_DRIVER_CONFIG))
    return STATUS_INFO_LENGTH_MISMATCH;
  auto* drv = new umaccess::detail::Driver;
  drv->wdm = DriverObject;
  drv->config = *DriverConfig;
  const NTSTATUS status = apply_attributes(drv, DriverAttributes);
  if (!NT_SUCCESS(status)) {
    delete drv;
    return status;
  }
  register_object(drv);
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_drivers[DriverObject] = drv;
  }
  for (int major : {IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_READ, IRP_MJ_WRITE,
                    IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL})
    DriverObject->MajorFunction[major] = framework_dispatch;
  DriverObject->DriverUnload = framework_unload;
  if (Driver != nullptr) *Driver = reinterpret_cast<WDFDRIVER>(drv);
  return STATUS_SUCCESS;
}

PDRIVER_OBJECT WdfDriverWdmGetDriverObject(WDFDRIVER Driver) {
  return get<umaccess::detail::Driver>(Driver, Kind::Driver, "WdfDriverWdmGetDriverObject")->wdm;
}

WDFDRIVER WdfWdmDriverGetWdfDriverHandle(PDRIVER_OBJECT DriverObject) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const auto it = g_drivers.find(DriverObject);
  return it != g_drivers.end() ? reinterpret_cast<WDFDRIVER>(it->second) : nullptr;
}

NTSTATUS UmaWdfDriverAddDevice(PDRIVER_OBJECT DriverObject) {
  WDFDRIVER handle = WdfWdmDriverGetWdfDriverHandle(DriverObject);
  if (handle == nullptr) return STATUS_INVALID_PARAMETER;
  auto* drv = get<umaccess::detail::Driver>(handle, Kind::Driver, "UmaWdfDriverAddDevice");
  if (drv->config.EvtDriverDeviceAdd == nullptr) return STATUS_INVALID_DEVICE_REQUEST;
  WDFDEVICE_INIT* init = new_init(drv, false);
  if (init == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  const NTSTATUS status = drv->config.EvtDriverDeviceAdd(handle, init);
  free_init(init);  // the framework frees an init WdfDeviceCreate did not consume
  return status;
}

PWDFDEVICE_INIT WdfControlDeviceInitAllocate(WDFDRIVER Driver, const UNICODE_STRING* /*SDDL*/) {
  return new_init(
      get<umaccess::detail::Driver>(Driver, Kind::Driver, "WdfControlDeviceInitAllocate"), true);
}

VOID WdfDeviceInitFree(PWDFDEVICE_INIT DeviceInit) { free_init(DeviceInit); }

VOID WdfDeviceInitSetExclusive(PWDFDEVICE_INIT DeviceInit, BOOLEAN IsExclusive) {
  DeviceInit->exclusive = IsExclusive;
}

VOID WdfDeviceInitSetIoType(PWDFDEVICE_INIT DeviceInit, WDF_DEVICE_IO_TYPE IoType) {
  DeviceInit->io_type = IoType;
}

NTSTATUS WdfDeviceInitAssignName(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING DeviceName) {
  DeviceInit->named = DeviceName != nullptr;
  DeviceInit->name = DeviceName != nullptr
                         ? std::u16string(DeviceName->Buffer, DeviceName->Length / sizeof(WCHAR))
                         : std::u16string();
  return STATUS_SUCCESS;
}

VOID WdfDeviceInitSetDeviceType(PWDFDEVICE_INIT DeviceInit, DEVICE_TYPE DeviceType) {
  DeviceInit->device_type = DeviceType;
}

VOID WdfDeviceInitSetCharacteristics(PWDFDEVICE_INIT DeviceInit, ULONG DeviceCharacteristics,
                                     BOOLEAN OrInValues) {
  DeviceInit->characteristics =
      OrInValues ? DeviceInit->characteristics | DeviceCharacteristics : DeviceCharacteristics;
}

VOID WdfDeviceInitSetFileObjectConfig(PWDFDEVICE_INIT DeviceInit,
                                      PWDF_FILEOBJECT_CONFIG FileObjectConfig,
                                      PWDF_OBJECT_ATTRIBUTES FileObjectAttributes) {
  DeviceInit->file_config = *FileObjectConfig;
  DeviceInit->has_file_attributes = FileObjectAttributes != WDF_NO_OBJECT_ATTRIBUTES;
  if (FileObjectAttributes != WDF_NO_OBJECT_ATTRIBUTES)
    DeviceInit->file_attributes = *FileObjectAttributes;
}

VOID WdfDeviceInitSetIoInCallerContextCallback(PWDFDEVICE_INIT DeviceInit,
                                               PFN_WDF_IO_IN_CALLER_CONTEXT EvtIoInCallerContext) {
  DeviceInit->in_caller_context = EvtIoInCallerContext;
}

VOID WdfControlDeviceInitSetShutdownNotification(PWDFDEVICE_INIT,
                                                 PFN_WDF_DEVICE_SHUTDOWN_NOTIFICATION, UCHAR) {
  // Accepted: a host process has no system shutdown to report.
}

NTSTATUS WdfDeviceCreate(PWDFDEVICE_INIT* DeviceInit, PWDF_OBJECT_ATTRIBUTES DeviceAttributes,
                         WDFDEVICE* Device) {
  if (DeviceInit == nullptr || *DeviceInit == nullptr || Device == nullptr)
    bug_check_in("WdfDeviceCreate", WDF_VIOLATION, WDF_REQUIRED_PARAMETER_IS_NULL, 0, 0, 0,
                 "DeviceInit, *DeviceInit or Device is NULL");
  PWDFDEVICE_INIT init = *DeviceInit;
  auto* d = new umaccess::detail::Device;
  d->driver = init->driver;
  NTSTATUS status = apply_attributes(d, DeviceAttributes);
  if (!NT_SUCCESS(status)) {
    delete d;
    return status;
  }
  std::u16string name = init->name;
  UNICODE_STRING wdm_name{static_cast<USHORT>(name.size() * 2),
                          static_cast<USHORT>(name.size() * 2), name.empty() ? nullptr : &name[0]};
  status = IoCreateDevice(init->driver->wdm, 0, init->named ? &wdm_name : nullptr,
                          init->device_type, init->characteristics, init->exclusive, &d->wdm);
  if (!NT_SUCCESS(status)) {
    delete d;
    return status;
  }
  if (init->io_type == WdfDeviceIoBuffered || init->io_type == WdfDeviceIoBufferedOrDirect)
    d->wdm->Flags |= DO_BUFFERED_IO;
  else if (init->io_type == WdfDeviceIoDirect)
    d->wdm->Flags |= DO_DIRECT_IO;
  if (!init->control) d->wdm->Flags &= ~static_cast<ULONG>(DO_DEVICE_INITIALIZING);
  d->init = *init;
  free_init(init);
  *DeviceInit = nullptr;
  register_object(d);
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_devices[d->wdm] = d;
  }
  d->driver->devices.push_back(d);
  *Device = reinterpret_cast<WDFDEVICE>(d);
  return STATUS_SUCCESS;
}

NTSTATUS WdfDeviceCreateSymbolicLink(WDFDEVICE Device, PCUNICODE_STRING SymbolicLinkName) {
  auto* d = get<umaccess::detail::Device>(Device, Kind::Device, "WdfDeviceCreateSymbolicLink");
  if (!d->init.named) return STATUS_INVALID_DEVICE_REQUEST;
  std::u16string device_name = d->init.name;
  UNICODE_STRING target{static_cast<USHORT>(device_name.size() * 2),
                        static_cast<USHORT>(device_name.size() * 2), &device_name[0]};
  const NTSTATUS status =
      IoCreateSymbolicLink(const_cast<PUNICODE_STRING>(SymbolicLinkName), &target);
  if (NT_SUCCESS(status))
    d->links.emplace_back(SymbolicLinkName->Buffer, SymbolicLinkName->Length / sizeof(WCHAR));
  return status;
}

VOID WdfControlFinishInitializing(WDFDEVICE Device) {
  get<umaccess::detail::Device>(Device, Kind::Device, "WdfControlFinishInitializing")->wdm->Flags &=
      ~static_cast<ULONG>(DO_DEVICE_INITIALIZING);
}

PDEVICE_OBJECT WdfDeviceWdmGetDeviceObject(WDFDEVICE Device) {
  return get<umaccess::detail::Device>(Device, Kind::Device, "WdfDeviceWdmGetDeviceObject")->wdm;
}

NTSTATUS WdfDeviceEnqueueRequest(WDFDEVICE Device, WDFREQUEST Request) {
  get<umaccess::detail::Device>(Device, Kind::Device, "WdfDeviceEnqueueRequest");
  auto* r = get<umaccess::detail::Request>(Request, Kind::Request, "WdfDeviceEnqueueRequest");
  r->in_caller_context = false;
  present(r);
  return STATUS_SUCCESS;
}

NTSTATUS WdfDeviceConfigureRequestDispatching(WDFDEVICE Device, WDFQUEUE Queue,
                                              WDF_REQUEST_TYPE RequestType) {
  auto* d =
      get<umaccess::detail::Device>(Device, Kind::Device, "WdfDeviceConfigureRequestDispatching");
  auto* q =
      get<umaccess::detail::Queue>(Queue, Kind::Queue, "WdfDeviceConfigureRequestDispatching");
  if (RequestType != WdfRequestTypeRead && RequestType != WdfRequestTypeWrite &&
      RequestType != WdfRequestTypeDeviceControl &&
      RequestType != WdfRequestTypeDeviceControlInternal)
    return STATUS_INVALID_PARAMETER;
  if (d->dispatch.count(RequestType) != 0) return STATUS_INVALID_DEVICE_STATE;
  d->dispatch[RequestType] = q;
  return STATUS_SUCCESS;
}

PUNICODE_STRING WdfFileObjectGetFileName(WDFFILEOBJECT FileObject) {
  return &get<File>(FileObject, Kind::File, "WdfFileObjectGetFileName")->wdm->FileName;
}

WDFDEVICE WdfFileObjectGetDevice(WDFFILEOBJECT FileObject) {
  return reinterpret_cast<WDFDEVICE>(
      get<File>(FileObject, Kind::File, "WdfFileObjectGetDevice")->device);
}

PFILE_OBJECT WdfFileObjectWdmGetFileObject(WDFFILEOBJECT FileObject) {
  return get<File>(FileObject, Kind::File, "WdfFileObjectWdmGetFileObject")->wdm;
}

NTSTATUS WdfIoQueueCreate(WDFDEVICE Device, PWDF_IO_QUEUE_CONFIG Config,
                          PWDF_OBJECT_ATTRIBUTES QueueAttributes, WDFQUEUE* Queue) {
  auto* d = get<umaccess::detail::Device>(Device, Kind::Device, "WdfIoQueueCreate");
  if (Config == nullptr || Config->Size != sizeof(WDF_IO_QUEUE_CONFIG))
    return STATUS_INFO_LENGTH_MISMATCH;
  if (Config->DispatchType == WdfIoQueueDispatchManual) return STATUS_NOT_SUPPORTED;
  if (Config->DispatchType <= WdfIoQueueDispatchInvalid ||
      Config->DispatchType >= WdfIoQueueDispatchMax)
    return STATUS_INVALID_PARAMETER;
  if (Config->DefaultQueue && d->default_queue != nullptr) return STATUS_INVALID_DEVICE_STATE;
  auto* q = new umaccess::detail::Queue;
  q->device = d;
  q->config = *Config;
  const NTSTATUS status = apply_attributes(q, QueueAttributes);
  if (!NT_SUCCESS(status)) {
    delete q;
    return status;
  }
  register_object(q);
  d->queues.push_back(q);
  if (Config->DefaultQueue) d->default_queue = q;
  if (Queue != nullptr) *Queue = reinterpret_cast<WDFQUEUE>(q);
  return STATUS_SUCCESS;
}

WDFDEVICE WdfIoQueueGetDevice(WDFQUEUE Queue) {
  return reinterpret_cast<WDFDEVICE>(
      get<umaccess::detail::Queue>(Queue, Kind::Queue, "WdfIoQueueGetDevice")->device);
}

VOID WdfRequestGetParameters(WDFREQUEST Request, PWDF_REQUEST_PARAMETERS Parameters) {
  auto* r = get<umaccess::detail::Request>(Request, Kind::Request, "WdfRequestGetParameters");
  const IO_STACK_LOCATION* s = IoGetCurrentIrpStackLocation(r->irp);
  WDF_REQUEST_PARAMETERS_INIT(Parameters);
  Parameters->Type = r->type;
  Parameters->MinorFunction = s->MinorFunction;
  switch (r->type) {
    case WdfRequestTypeRead:
    case WdfRequestTypeWrite:
      Parameters->Parameters.Read.Length = s->Parameters.Read.Length;
      Parameters->Parameters.Read.Key = s->Parameters.Read.Key;
      Parameters->Parameters.Read.DeviceOffset = s->Parameters.Read.ByteOffset.QuadPart;
      break;
    case WdfRequestTypeDeviceControl:
    case WdfRequestTypeDeviceControlInternal:
      Parameters->Parameters.DeviceIoControl.OutputBufferLength =
          s->Parameters.DeviceIoControl.OutputBufferLength;
      Parameters->Parameters.DeviceIoControl.InputBufferLength =
          s->Parameters.DeviceIoControl.InputBufferLength;
      Parameters->Parameters.DeviceIoControl.IoControlCode =
          s->Parameters.DeviceIoControl.IoControlCode;
      Parameters->Parameters.DeviceIoControl.Type3InputBuffer =
          s->Parameters.DeviceIoControl.Type3InputBuffer;
      break;
    default: break;
  }
}

KPROCESSOR_MODE WdfRequestGetRequestorMode(WDFREQUEST Request) {
  return get<umaccess::detail::Request>(Request, Kind::Request, "WdfRequestGetRequestorMode")
      ->irp->RequestorMode;
}

PIRP WdfRequestWdmGetIrp(WDFREQUEST Request) {
  return get<umaccess::detail::Request>(Request, Kind::Request, "WdfRequestWdmGetIrp")->irp;
}

WDFFILEOBJECT WdfRequestGetFileObject(WDFREQUEST Request) {
  return reinterpret_cast<WDFFILEOBJECT>(
      get<umaccess::detail::Request>(Request, Kind::Request, "WdfRequestGetFileObject")->file);
}

NTSTATUS WdfRequestRetrieveInputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength,
                                       PVOID* Buffer, size_t* Length) {
  return retrieve(Request, true, MinimumRequiredLength, Buffer, Length,
                  "WdfRequestRetrieveInputBuffer");
}

NTSTATUS WdfRequestRetrieveOutputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength,
                                        PVOID* Buffer, size_t* Length) {
  return retrieve(Request, false, MinimumRequiredLength, Buffer, Length,
                  "WdfRequestRetrieveOutputBuffer");
}

NTSTATUS WdfRequestRetrieveInputMemory(WDFREQUEST Request, WDFMEMORY* Memory) {
  auto* r = get<umaccess::detail::Request>(Request, Kind::Request, "WdfRequestRetrieveInputMemory");
  if (r->input_memory == nullptr) {
    PVOID buffer;
    size_t length;
    NTSTATUS status = retrieve(Request, true, 0, &buffer, &length, "WdfRequestRetrieveInputMemory");
    if (!NT_SUCCESS(status)) return status;
    status = UmaWdfMemoryCreatePreallocatedReadOnly(WDF_NO_OBJECT_ATTRIBUTES, buffer, length,
                                                    &r->input_memory);
    if (!NT_SUCCESS(status)) return status;
    r->memories.push_back(r->input_memory);
  }
  *Memory = r->input_memory;
  return STATUS_SUCCESS;
}

NTSTATUS WdfRequestRetrieveOutputMemory(WDFREQUEST Request, WDFMEMORY* Memory) {
  auto* r =
      get<umaccess::detail::Request>(Request, Kind::Request, "WdfRequestRetrieveOutputMemory");
  if (r->output_memory == nullptr) {
    PVOID buffer;
    size_t length;
    NTSTATUS status =
        retrieve(Request, false, 0, &buffer, &length, "WdfRequestRetrieveOutputMemory");
    if (!NT_SUCCESS(status)) return status;
    status =
        WdfMemoryCreatePreallocated(WDF_NO_OBJECT_ATTRIBUTES, buffer, length, &r->output_memory);
    if (!NT_SUCCESS(status)) return status;
    r->memories.push_back(r->output_memory);
  }
  *Memory = r->output_memory;
  return STATUS_SUCCESS;
}

NTSTATUS WdfRequestRetrieveInputWdmMdl(WDFREQUEST Request, PMDL* Mdl) {
  return retrieve_mdl(Request, true, Mdl, "WdfRequestRetrieveInputWdmMdl");
}

NTSTATUS WdfRequestRetrieveOutputWdmMdl(WDFREQUEST Request, PMDL* Mdl) {
  return retrieve_mdl(Request, false, Mdl, "WdfRequestRetrieveOutputWdmMdl");
}

NTSTATUS WdfRequestRetrieveUnsafeUserInputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength,
                                                 PVOID* InputBuffer, size_t* Length) {
  return retrieve_unsafe(Request, true, MinimumRequiredLength, InputBuffer, Length,
                         "WdfRequestRetrieveUnsafeUserInputBuffer");
}

NTSTATUS WdfRequestRetrieveUnsafeUserOutputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength,
                                                  PVOID* OutputBuffer, size_t* Length) {
  return retrieve_unsafe(Request, false, MinimumRequiredLength, OutputBuffer, Length,
                         "WdfRequestRetrieveUnsafeUserOutputBuffer");
}

NTSTATUS WdfRequestProbeAndLockUserBufferForRead(WDFREQUEST Request, PVOID Buffer, size_t Length,
                                                 WDFMEMORY* MemoryObject) {
  return probe_and_lock(Request, Buffer, Length, MemoryObject, false,
                        "WdfRequestProbeAndLockUserBufferForRead");
}

NTSTATUS WdfRequestProbeAndLockUserBufferForWrite(WDFREQUEST Request, PVOID Buffer, size_t Length,
                                                  WDFMEMORY* MemoryObject) {
  return probe_and_lock(Request, Buffer, Length, MemoryObject, true,
                        "WdfRequestProbeAndLockUserBufferForWrite");
}

VOID WdfRequestSetInformation(WDFREQUEST Request, ULONG_PTR Information) {
  get<umaccess::detail::Request>(Request, Kind::Request, "WdfRequestSetInformation")->information =
      Information;
}

ULONG_PTR WdfRequestGetInformation(WDFREQUEST Request) {
  return get<umaccess::detail::Request>(Request, Kind::Request, "WdfRequestGetInformation")
      ->information;
}

NTSTATUS WdfRequestGetStatus(WDFREQUEST Request) {
  return get<umaccess::detail::Request>(Request, Kind::Request, "WdfRequestGetStatus")
      ->irp->IoStatus.Status;
}

VOID WdfRequestComplete(WDFREQUEST Request, NTSTATUS Status) {
  complete(Request, Status, nullptr, "WdfRequestComplete");
}

VOID WdfRequestCompleteWithInformation(WDFREQUEST Request, NTSTATUS Status, ULONG_PTR Information) {
  complete(Request, Status, &Information, "WdfRequestCompleteWithInformation");
}

VOID WdfRequestCompleteWithPriorityBoost(WDFREQUEST Request, NTSTATUS Status, CCHAR) {
  complete(Request, Status, nullptr, "WdfRequestCompleteWithPriorityBoost");
}

SIZE_T UmaWdfFrameworkObjectCount(void) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_live.size();
}

}  // extern "C"
