/*
 * cuda-smoke: proves that a CUDA image works on a real GPU.
 *
 * It needs no CUDA headers and links against glibc only: the CUDA runtime
 * (libcudart.so.12), NVRTC (libnvrtc.so.12) and the driver (libcuda.so.1,
 * injected by the NVIDIA Container Toolkit) are all opened with dlopen, so
 * one binary runs in any image with libc6 and reports what is missing
 * instead of failing to start.
 *
 * Steps, each skipped once one before it fails:
 *   1. load libcudart and read the runtime and driver versions;
 *   2. count devices and read device 0's name, compute capability and memory;
 *   3. copy a 64 MiB pattern to device 0 and back, and compare;
 *   4. if libnvrtc is present: compile an add-one kernel to PTX, load and
 *      launch it through the driver API, and check every element.
 *
 * It prints one JSON object on stdout and exits 0 only when every step
 * that ran passed. The CUDA declarations below are the few this program
 * uses, copied from the stable C ABI (enums are ints, handles pointers).
 */

#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- CUDA runtime API ---- */

typedef int cudaError_t;
enum {
  cudaSuccess = 0,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInitializationError = 3,
  cudaErrorStubLibrary = 34,
  cudaErrorInsufficientDriver = 35,
  cudaErrorCallRequiresNewerDriver = 36,
  cudaErrorDevicesUnavailable = 46,
  cudaErrorNoDevice = 100,
  cudaErrorSystemNotReady = 802,
  cudaErrorSystemDriverMismatch = 803,
  cudaErrorCompatNotSupportedOnDevice = 804,
};
enum { cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2 };
enum { cudaDevAttrComputeCapabilityMajor = 75, cudaDevAttrComputeCapabilityMinor = 76 };

typedef cudaError_t (*cudaRuntimeGetVersion_t)(int *);
typedef cudaError_t (*cudaDriverGetVersion_t)(int *);
typedef cudaError_t (*cudaGetDeviceCount_t)(int *);
typedef cudaError_t (*cudaGetDeviceProperties_t)(void *, int);
typedef cudaError_t (*cudaDeviceGetAttribute_t)(int *, int, int);
typedef cudaError_t (*cudaMalloc_t)(void **, size_t);
typedef cudaError_t (*cudaMemcpy_t)(void *, const void *, size_t, int);
typedef cudaError_t (*cudaFree_t)(void *);
typedef const char *(*cudaGetErrorString_t)(cudaError_t);
typedef cudaError_t (*cudaDeviceSynchronize_t)(void);

/* struct cudaDeviceProp is about 1 KiB in CUDA 12; the name is its first
 * member (char name[256]). The buffer is generous so that a later, larger
 * struct cannot overflow it. */
#define DEVICE_PROP_BYTES 16384
#define DEVICE_NAME_BYTES 256
/* totalGlobalMem (size_t) follows name[256], uuid[16], luid[8] and
 * luidDeviceNodeMask (4 bytes, padded to 8): offset 288 in the struct of
 * CUDA 11 and 12 on 64-bit hosts. */
#define DEVICE_PROP_TOTAL_GLOBAL_MEM 288

/* ---- NVRTC ---- */

typedef int nvrtcResult;
typedef void *nvrtcProgram;
typedef nvrtcResult (*nvrtcCreateProgram_t)(nvrtcProgram *, const char *, const char *, int,
                                            const char *const *, const char *const *);
typedef nvrtcResult (*nvrtcCompileProgram_t)(nvrtcProgram, int, const char *const *);
typedef nvrtcResult (*nvrtcGetSize_t)(nvrtcProgram, size_t *);
typedef nvrtcResult (*nvrtcGetBytes_t)(nvrtcProgram, char *);
typedef nvrtcResult (*nvrtcDestroyProgram_t)(nvrtcProgram *);
typedef const char *(*nvrtcGetErrorString_t)(nvrtcResult);
typedef nvrtcResult (*nvrtcGetNumSupportedArchs_t)(int *);
typedef nvrtcResult (*nvrtcGetSupportedArchs_t)(int *);

/* ---- CUDA driver API ---- */

typedef int CUresult;
typedef void *CUcontext;
typedef void *CUmodule;
typedef void *CUfunction;
typedef void *CUstream;
enum { CUDA_SUCCESS = 0, CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222 };

typedef CUresult (*cuCtxGetCurrent_t)(CUcontext *);
typedef CUresult (*cuModuleLoadData_t)(CUmodule *, const void *);
typedef CUresult (*cuModuleGetFunction_t)(CUfunction *, CUmodule, const char *);
typedef CUresult (*cuLaunchKernel_t)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                                     unsigned, CUstream, void **, void **);
typedef CUresult (*cuCtxSynchronize_t)(void);
typedef CUresult (*cuModuleUnload_t)(CUmodule);
typedef CUresult (*cuGetErrorString_t)(CUresult, const char **);

#define COPY_BYTES (64u << 20)
#define KERNEL_ELEMENTS (1 << 20)
#define KERNEL_BLOCK 256

static const char KERNEL_SOURCE[] =
    "extern \"C\" __global__ void add1(int *p, int n) {\n"
    "  int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
    "  if (i < n) p[i] += 1;\n"
    "}\n";

/* What is printed. Strings are "skipped" for steps that did not run. */
struct report {
  int runtime_version;
  int driver_version;
  int device_count;
  char device[DEVICE_NAME_BYTES + 1];
  char compute_capability[16];
  unsigned long long memory_bytes;
  const char *copy_check;
  const char *nvrtc;
  const char *error_code;
  char error[2048];
};

struct cudart {
  cudaRuntimeGetVersion_t runtime_get_version;
  cudaDriverGetVersion_t driver_get_version;
  cudaGetDeviceCount_t get_device_count;
  cudaGetDeviceProperties_t get_device_properties;
  cudaDeviceGetAttribute_t device_get_attribute;
  cudaMalloc_t malloc;
  cudaMemcpy_t memcpy;
  cudaFree_t free;
  cudaGetErrorString_t get_error_string;
  cudaDeviceSynchronize_t device_synchronize;
};

/* Records the first failure only: later ones are usually its consequence. */
__attribute__((format(printf, 3, 4))) static void fail(struct report *r, const char *code, const char *fmt, ...) {
  if (r->error_code[0] != '\0') return;
  r->error_code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->error, sizeof r->error, fmt, ap);
  va_end(ap);
}

static void *resolve(void *lib, const char *name, const char **missing) {
  void *sym = dlsym(lib, name);
  if (sym == NULL && *missing == NULL) *missing = name;
  return sym;
}

static const char *cuda_error_text(const struct cudart *rt, cudaError_t err) {
  const char *s = rt->get_error_string ? rt->get_error_string(err) : NULL;
  return s ? s : "unknown error";
}

/* Explains the errors a container on a GPU host typically meets. */
static void fail_cuda(struct report *r, const struct cudart *rt, const char *call, cudaError_t err) {
  const char *text = cuda_error_text(rt, err);
  switch (err) {
  case cudaErrorInsufficientDriver:
    if (r->driver_version == 0)
      fail(r, "NO_DRIVER",
           "%s: %s (cudaError %d): no NVIDIA driver (libcuda.so.1) in the container; run it with the "
           "NVIDIA Container Toolkit (--gpus all, or the CDI device nvidia.com/gpu=all)",
           call, text, err);
    else
      fail(r, "INSUFFICIENT_DRIVER",
           "%s: %s (cudaError %d): the host driver supports CUDA %d.%d, older than this runtime's %d.%d; "
           "upgrade the host driver or build the image with an older CUDA",
           call, text, err, r->driver_version / 1000, r->driver_version % 1000 / 10, r->runtime_version / 1000,
           r->runtime_version % 1000 / 10);
    return;
  case cudaErrorNoDevice:
    fail(r, "NO_DEVICE",
         "%s: %s (cudaError %d): no GPU is visible in the container; check NVIDIA_VISIBLE_DEVICES and that "
         "it runs with the NVIDIA Container Toolkit (--gpus all, or the CDI device nvidia.com/gpu=all)",
         call, text, err);
    return;
  case cudaErrorStubLibrary:
    fail(r, "NO_DRIVER",
         "%s: %s (cudaError %d): libcuda.so.1 is the toolkit's stub, not the driver; the host driver was "
         "not injected",
         call, text, err);
    return;
  case cudaErrorCallRequiresNewerDriver:
  case cudaErrorSystemDriverMismatch:
  case cudaErrorCompatNotSupportedOnDevice:
    fail(r, "INSUFFICIENT_DRIVER",
         "%s: %s (cudaError %d): the driver libraries in the container do not match the host's kernel "
         "module or are too old for this runtime",
         call, text, err);
    return;
  case cudaErrorDevicesUnavailable:
    fail(r, "DEVICE_BUSY", "%s: %s (cudaError %d): the GPU is in exclusive mode and in use by another process",
         call, text, err);
    return;
  case cudaErrorSystemNotReady:
    fail(r, "DRIVER_NOT_READY", "%s: %s (cudaError %d): the host's fabric manager is not running", call, text,
         err);
    return;
  default:
    fail(r, "CUDA_ERROR", "%s: %s (cudaError %d)", call, text, err);
  }
}

static int load_cudart(struct report *r, struct cudart *rt) {
  void *lib = dlopen("libcudart.so.12", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    char first[512];
    snprintf(first, sizeof first, "%s", dlerror());
    lib = dlopen("libcudart.so", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
      fail(r, "CUDART_MISSING",
           "cannot load the CUDA runtime (%s): the image has no libcudart.so.12; build it on "
           "preset:cuda-base or a preset that includes it, or add the libcudart12 package",
           first);
      return -1;
    }
  }
  const char *missing = NULL;
  rt->runtime_get_version = (cudaRuntimeGetVersion_t)resolve(lib, "cudaRuntimeGetVersion", &missing);
  rt->driver_get_version = (cudaDriverGetVersion_t)resolve(lib, "cudaDriverGetVersion", &missing);
  rt->get_device_count = (cudaGetDeviceCount_t)resolve(lib, "cudaGetDeviceCount", &missing);
  /* CUDA 12's headers map cudaGetDeviceProperties to the _v2 symbol, whose
   * struct layout is the current one; older runtimes have only the plain one. */
  rt->get_device_properties = (cudaGetDeviceProperties_t)dlsym(lib, "cudaGetDeviceProperties_v2");
  if (rt->get_device_properties == NULL)
    rt->get_device_properties = (cudaGetDeviceProperties_t)resolve(lib, "cudaGetDeviceProperties", &missing);
  rt->device_get_attribute = (cudaDeviceGetAttribute_t)resolve(lib, "cudaDeviceGetAttribute", &missing);
  rt->malloc = (cudaMalloc_t)resolve(lib, "cudaMalloc", &missing);
  rt->memcpy = (cudaMemcpy_t)resolve(lib, "cudaMemcpy", &missing);
  rt->free = (cudaFree_t)resolve(lib, "cudaFree", &missing);
  rt->get_error_string = (cudaGetErrorString_t)resolve(lib, "cudaGetErrorString", &missing);
  rt->device_synchronize = (cudaDeviceSynchronize_t)resolve(lib, "cudaDeviceSynchronize", &missing);
  if (missing != NULL) {
    fail(r, "CUDART_INCOMPLETE", "the CUDA runtime library lacks %s: it is not a CUDA 12 libcudart", missing);
    return -1;
  }
  return 0;
}

/* Step 2: device count, device 0's name, memory and compute capability (major*10+minor). */
static int inspect_device(struct report *r, const struct cudart *rt, int *cc) {
  cudaError_t err = rt->get_device_count(&r->device_count);
  if (err != cudaSuccess) {
    r->device_count = 0;
    fail_cuda(r, rt, "cudaGetDeviceCount", err);
    return -1;
  }
  if (r->device_count < 1) {
    fail_cuda(r, rt, "cudaGetDeviceCount", cudaErrorNoDevice);
    return -1;
  }
  void *prop = calloc(1, DEVICE_PROP_BYTES);
  if (prop == NULL) {
    fail(r, "HOST_OUT_OF_MEMORY", "cannot allocate %d bytes of host memory", DEVICE_PROP_BYTES);
    return -1;
  }
  err = rt->get_device_properties(prop, 0);
  if (err == cudaSuccess) {
    size_t total = 0;
    memcpy(r->device, prop, DEVICE_NAME_BYTES);
    memcpy(&total, (const char *)prop + DEVICE_PROP_TOTAL_GLOBAL_MEM, sizeof total);
    r->memory_bytes = total;
  }
  r->device[DEVICE_NAME_BYTES] = '\0';
  free(prop);
  if (err != cudaSuccess) {
    fail_cuda(r, rt, "cudaGetDeviceProperties", err);
    return -1;
  }
  int major = 0, minor = 0;
  err = rt->device_get_attribute(&major, cudaDevAttrComputeCapabilityMajor, 0);
  if (err == cudaSuccess) err = rt->device_get_attribute(&minor, cudaDevAttrComputeCapabilityMinor, 0);
  if (err != cudaSuccess) {
    fail_cuda(r, rt, "cudaDeviceGetAttribute", err);
    return -1;
  }
  snprintf(r->compute_capability, sizeof r->compute_capability, "%d.%d", major, minor);
  *cc = major * 10 + minor;
  return 0;
}

/* Step 3: a 64 MiB pattern to the device and back. */
static int copy_check(struct report *r, const struct cudart *rt) {
  r->copy_check = "fail";
  uint32_t *sent = malloc(COPY_BYTES);
  uint32_t *back = malloc(COPY_BYTES);
  void *dev = NULL;
  int rc = -1;
  if (sent == NULL || back == NULL) {
    fail(r, "HOST_OUT_OF_MEMORY", "cannot allocate 2 x %u bytes of host memory", COPY_BYTES);
    goto out;
  }
  size_t words = COPY_BYTES / sizeof(uint32_t);
  for (size_t i = 0; i < words; i++) sent[i] = (uint32_t)(i * 2654435761u) ^ 0xa5a5a5a5u;
  memset(back, 0, COPY_BYTES);
  cudaError_t err = rt->malloc(&dev, COPY_BYTES);
  if (err != cudaSuccess) {
    dev = NULL;
    fail_cuda(r, rt, "cudaMalloc(64 MiB)", err);
    goto out;
  }
  err = rt->memcpy(dev, sent, COPY_BYTES, cudaMemcpyHostToDevice);
  if (err != cudaSuccess) {
    fail_cuda(r, rt, "cudaMemcpy(host to device)", err);
    goto out;
  }
  err = rt->memcpy(back, dev, COPY_BYTES, cudaMemcpyDeviceToHost);
  if (err == cudaSuccess) err = rt->device_synchronize();
  if (err != cudaSuccess) {
    fail_cuda(r, rt, "cudaMemcpy(device to host)", err);
    goto out;
  }
  for (size_t i = 0; i < words; i++) {
    if (sent[i] != back[i]) {
      fail(r, "COPY_MISMATCH", "64 MiB copied to the device and back differs at byte %zu: sent 0x%08x, got 0x%08x",
           i * sizeof(uint32_t), sent[i], back[i]);
      goto out;
    }
  }
  r->copy_check = "pass";
  rc = 0;
out:
  if (dev != NULL) rt->free(dev);
  free(sent);
  free(back);
  return rc;
}

struct nvrtc {
  nvrtcCreateProgram_t create_program;
  nvrtcCompileProgram_t compile_program;
  nvrtcGetSize_t get_ptx_size;
  nvrtcGetBytes_t get_ptx;
  nvrtcGetSize_t get_cubin_size; /* optional: CUDA 11.1 and later */
  nvrtcGetBytes_t get_cubin;
  nvrtcGetSize_t get_log_size;
  nvrtcGetBytes_t get_log;
  nvrtcDestroyProgram_t destroy_program;
  nvrtcGetErrorString_t get_error_string;
  nvrtcGetNumSupportedArchs_t get_num_supported_archs; /* optional: CUDA 11.2 and later */
  nvrtcGetSupportedArchs_t get_supported_archs;
};

struct driver {
  cuCtxGetCurrent_t ctx_get_current;
  cuModuleLoadData_t module_load_data;
  cuModuleGetFunction_t module_get_function;
  cuLaunchKernel_t launch_kernel;
  cuCtxSynchronize_t ctx_synchronize;
  cuModuleUnload_t module_unload;
  cuGetErrorString_t get_error_string; /* optional */
};

static const char *nvrtc_error_text(const struct nvrtc *nv, nvrtcResult res) {
  const char *s = nv->get_error_string(res);
  return s ? s : "unknown error";
}

static const char *driver_error_text(const struct driver *drv, CUresult res) {
  const char *s = NULL;
  if (drv->get_error_string != NULL && drv->get_error_string(res, &s) != CUDA_SUCCESS) s = NULL;
  return s ? s : "unknown error";
}

/* The newest virtual architecture NVRTC knows that is not newer than the
 * device: PTX for it is JIT-compiled by the driver for the device. */
static int pick_arch(const struct nvrtc *nv, int cc) {
  int n = 0;
  if (nv->get_num_supported_archs == NULL || nv->get_supported_archs == NULL ||
      nv->get_num_supported_archs(&n) != 0 || n <= 0 || n > 1024)
    return cc;
  int *archs = calloc((size_t)n, sizeof *archs);
  if (archs == NULL || nv->get_supported_archs(archs) != 0) {
    free(archs);
    return cc;
  }
  int best = 0;
  for (int i = 0; i < n; i++)
    if (archs[i] <= cc && archs[i] > best) best = archs[i];
  free(archs);
  return best;
}

/* Compiles the kernel for `option`; returns the PTX or CUBIN (malloc'd) or NULL. */
static char *compile_kernel(struct report *r, const struct nvrtc *nv, const char *option, int cubin) {
  nvrtcProgram prog = NULL;
  char *image = NULL;
  nvrtcResult res = nv->create_program(&prog, KERNEL_SOURCE, "add1.cu", 0, NULL, NULL);
  if (res != 0) {
    fail(r, "NVRTC_FAILED", "nvrtcCreateProgram: %s (nvrtcResult %d)", nvrtc_error_text(nv, res), res);
    return NULL;
  }
  const char *options[] = {option};
  res = nv->compile_program(prog, 1, options);
  if (res != 0) {
    char log[1024] = "";
    size_t size = 0;
    if (nv->get_log_size(prog, &size) == 0 && size > 0) {
      char *full = malloc(size);
      if (full != NULL && nv->get_log(prog, full) == 0) snprintf(log, sizeof log, "%s", full);
      free(full);
    }
    fail(r, "NVRTC_FAILED", "nvrtcCompileProgram(%s): %s (nvrtcResult %d): %s", option, nvrtc_error_text(nv, res),
         res, log);
    goto out;
  }
  size_t size = 0;
  res = cubin ? nv->get_cubin_size(prog, &size) : nv->get_ptx_size(prog, &size);
  if (res == 0 && size > 0 && (image = malloc(size + 1)) != NULL) {
    res = cubin ? nv->get_cubin(prog, image) : nv->get_ptx(prog, image);
    image[size] = '\0';
  }
  if (res != 0 || image == NULL) {
    fail(r, "NVRTC_FAILED", "nvrtcGet%s: %s (nvrtcResult %d)", cubin ? "CUBIN" : "PTX", nvrtc_error_text(nv, res),
         res);
    free(image);
    image = NULL;
  }
out:
  nv->destroy_program(&prog);
  return image;
}

/* Launches add1 over a 4 MiB buffer and checks that every element was incremented. */
static int run_kernel(struct report *r, const struct cudart *rt, const struct driver *drv, CUfunction fn) {
  int n = KERNEL_ELEMENTS;
  size_t bytes = (size_t)n * sizeof(int);
  int *host = malloc(bytes);
  void *dev = NULL;
  int rc = -1;
  if (host == NULL) {
    fail(r, "HOST_OUT_OF_MEMORY", "cannot allocate %zu bytes of host memory", bytes);
    return -1;
  }
  for (int i = 0; i < n; i++) host[i] = i * 3 - 7;
  cudaError_t err = rt->malloc(&dev, bytes);
  if (err != cudaSuccess) {
    dev = NULL;
    fail_cuda(r, rt, "cudaMalloc(kernel buffer)", err);
    goto out;
  }
  err = rt->memcpy(dev, host, bytes, cudaMemcpyHostToDevice);
  if (err != cudaSuccess) {
    fail_cuda(r, rt, "cudaMemcpy(kernel buffer to device)", err);
    goto out;
  }
  void *params[] = {&dev, &n};
  unsigned grid = (unsigned)((n + KERNEL_BLOCK - 1) / KERNEL_BLOCK);
  CUresult res = drv->launch_kernel(fn, grid, 1, 1, KERNEL_BLOCK, 1, 1, 0, NULL, params, NULL);
  if (res == CUDA_SUCCESS) res = drv->ctx_synchronize();
  if (res != CUDA_SUCCESS) {
    fail(r, "KERNEL_FAILED", "cuLaunchKernel(add1): %s (CUresult %d)", driver_error_text(drv, res), res);
    goto out;
  }
  memset(host, 0, bytes);
  err = rt->memcpy(host, dev, bytes, cudaMemcpyDeviceToHost);
  if (err != cudaSuccess) {
    fail_cuda(r, rt, "cudaMemcpy(kernel buffer to host)", err);
    goto out;
  }
  for (int i = 0; i < n; i++) {
    if (host[i] != i * 3 - 7 + 1) {
      fail(r, "KERNEL_MISMATCH", "the add1 kernel left element %d of %d at %d, expected %d", i, n, host[i],
           i * 3 - 7 + 1);
      goto out;
    }
  }
  rc = 0;
out:
  if (dev != NULL) rt->free(dev);
  free(host);
  return rc;
}

/* Step 4: NVRTC to PTX, driver API to load and launch. */
static void nvrtc_check(struct report *r, const struct cudart *rt, int cc) {
  void *lib = dlopen("libnvrtc.so.12", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    r->nvrtc = "absent";
    return;
  }
  r->nvrtc = "fail";
  struct nvrtc nv = {0};
  const char *missing = NULL;
  nv.create_program = (nvrtcCreateProgram_t)resolve(lib, "nvrtcCreateProgram", &missing);
  nv.compile_program = (nvrtcCompileProgram_t)resolve(lib, "nvrtcCompileProgram", &missing);
  nv.get_ptx_size = (nvrtcGetSize_t)resolve(lib, "nvrtcGetPTXSize", &missing);
  nv.get_ptx = (nvrtcGetBytes_t)resolve(lib, "nvrtcGetPTX", &missing);
  nv.get_log_size = (nvrtcGetSize_t)resolve(lib, "nvrtcGetProgramLogSize", &missing);
  nv.get_log = (nvrtcGetBytes_t)resolve(lib, "nvrtcGetProgramLog", &missing);
  nv.destroy_program = (nvrtcDestroyProgram_t)resolve(lib, "nvrtcDestroyProgram", &missing);
  nv.get_error_string = (nvrtcGetErrorString_t)resolve(lib, "nvrtcGetErrorString", &missing);
  nv.get_cubin_size = (nvrtcGetSize_t)dlsym(lib, "nvrtcGetCUBINSize");
  nv.get_cubin = (nvrtcGetBytes_t)dlsym(lib, "nvrtcGetCUBIN");
  nv.get_num_supported_archs = (nvrtcGetNumSupportedArchs_t)dlsym(lib, "nvrtcGetNumSupportedArchs");
  nv.get_supported_archs = (nvrtcGetSupportedArchs_t)dlsym(lib, "nvrtcGetSupportedArchs");
  if (missing != NULL) {
    fail(r, "NVRTC_FAILED", "libnvrtc.so.12 lacks %s", missing);
    return;
  }

  void *cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (cuda == NULL) {
    fail(r, "KERNEL_FAILED", "cannot load the driver library for the driver API: %s", dlerror());
    return;
  }
  struct driver drv = {0};
  drv.ctx_get_current = (cuCtxGetCurrent_t)resolve(cuda, "cuCtxGetCurrent", &missing);
  drv.module_load_data = (cuModuleLoadData_t)resolve(cuda, "cuModuleLoadData", &missing);
  drv.module_get_function = (cuModuleGetFunction_t)resolve(cuda, "cuModuleGetFunction", &missing);
  drv.launch_kernel = (cuLaunchKernel_t)resolve(cuda, "cuLaunchKernel", &missing);
  drv.ctx_synchronize = (cuCtxSynchronize_t)resolve(cuda, "cuCtxSynchronize", &missing);
  drv.module_unload = (cuModuleUnload_t)resolve(cuda, "cuModuleUnload", &missing);
  drv.get_error_string = (cuGetErrorString_t)dlsym(cuda, "cuGetErrorString");
  if (missing != NULL) {
    fail(r, "KERNEL_FAILED", "libcuda.so.1 lacks %s", missing);
    return;
  }

  /* The runtime made device 0's primary context current (cudaFree(0)
   * forces that); driver API calls on this thread use it. */
  CUcontext ctx = NULL;
  cudaError_t err = rt->free(NULL);
  if (err != cudaSuccess) {
    fail_cuda(r, rt, "cudaFree(0)", err);
    return;
  }
  CUresult res = drv.ctx_get_current(&ctx);
  if (res != CUDA_SUCCESS || ctx == NULL) {
    fail(r, "KERNEL_FAILED", "cuCtxGetCurrent: no current context after the runtime initialised (CUresult %d)",
         res);
    return;
  }

  int arch = pick_arch(&nv, cc);
  if (arch == 0) {
    fail(r, "NVRTC_FAILED", "NVRTC supports no architecture as old as the device's compute capability %s",
         r->compute_capability);
    return;
  }
  char option[64];
  snprintf(option, sizeof option, "--gpu-architecture=compute_%d", arch);
  char *image = compile_kernel(r, &nv, option, 0);
  if (image == NULL) return;
  CUmodule mod = NULL;
  res = drv.module_load_data(&mod, image);
  if (res == CUDA_ERROR_UNSUPPORTED_PTX_VERSION && arch == cc && nv.get_cubin != NULL &&
      nv.get_cubin_size != NULL) {
    /* The driver is older than NVRTC (CUDA minor-version compatibility) and
     * cannot JIT its PTX: let NVRTC compile the device code itself. */
    free(image);
    snprintf(option, sizeof option, "--gpu-architecture=sm_%d", arch);
    image = compile_kernel(r, &nv, option, 1);
    if (image == NULL) return;
    res = drv.module_load_data(&mod, image);
  }
  free(image);
  if (res != CUDA_SUCCESS) {
    fail(r, "KERNEL_FAILED", "cuModuleLoadData(%s): %s (CUresult %d)%s", option, driver_error_text(&drv, res), res,
         res == CUDA_ERROR_UNSUPPORTED_PTX_VERSION ? ": the host driver is older than this NVRTC" : "");
    return;
  }
  CUfunction fn = NULL;
  res = drv.module_get_function(&fn, mod, "add1");
  if (res != CUDA_SUCCESS) {
    fail(r, "KERNEL_FAILED", "cuModuleGetFunction(add1): %s (CUresult %d)", driver_error_text(&drv, res), res);
  } else if (run_kernel(r, rt, &drv, fn) == 0) {
    r->nvrtc = "pass";
  }
  drv.module_unload(mod);
}

static void json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(out, "\\%c", *p);
    else if (*p < 0x20 || *p == 0x7f)
      fprintf(out, "\\u%04x", *p);
    else
      fputc(*p, out);
  }
  fputc('"', out);
}

static int ok(const struct report *r) {
  return r->error_code[0] == '\0' && strcmp(r->copy_check, "pass") == 0 && strcmp(r->nvrtc, "fail") != 0 &&
         strcmp(r->nvrtc, "skipped") != 0;
}

static void print_report(const struct report *r) {
  printf("{\"ok\":%s,\"runtimeVersion\":%d,\"driverVersion\":%d,\"deviceCount\":%d,\"device\":",
         ok(r) ? "true" : "false", r->runtime_version, r->driver_version, r->device_count);
  json_string(stdout, r->device);
  printf(",\"computeCapability\":");
  json_string(stdout, r->compute_capability);
  printf(",\"memoryBytes\":%llu", r->memory_bytes);
  printf(",\"copyCheck\":\"%s\",\"nvrtc\":\"%s\",\"errorCode\":", r->copy_check, r->nvrtc);
  json_string(stdout, r->error_code);
  printf(",\"error\":");
  json_string(stdout, r->error);
  printf("}\n");
}

int main(int argc, char **argv) {
  (void)argv;
  if (argc > 1) {
    fprintf(stderr, "usage: cuda-smoke\nChecks the CUDA runtime, device 0, a 64 MiB copy and (with NVRTC) a "
                    "kernel launch; prints one JSON object and exits 0 when all pass.\n");
    return 2;
  }
  static struct report r = {.copy_check = "skipped", .nvrtc = "skipped", .error_code = ""};
  struct cudart rt = {0};
  int cc = 0;
  if (load_cudart(&r, &rt) == 0) {
    cudaError_t err = rt.runtime_get_version(&r.runtime_version);
    if (err != cudaSuccess)
      fail_cuda(&r, &rt, "cudaRuntimeGetVersion", err);
    else if ((err = rt.driver_get_version(&r.driver_version)) != cudaSuccess)
      fail_cuda(&r, &rt, "cudaDriverGetVersion", err);
    else if (inspect_device(&r, &rt, &cc) == 0 && copy_check(&r, &rt) == 0)
      nvrtc_check(&r, &rt, cc);
  }
  print_report(&r);
  return fflush(stdout) == 0 && ok(&r) ? 0 : 1;
}
