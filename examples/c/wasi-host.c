/*
 * The whole pipeline in a C program: the WASI command build/ssrnet-wasi-scalar.wasm (detection,
 * crops, auto age, gender; assembly/wasi.ts) translated to C by wabt's wasm2c, plus just enough
 * WASI preview1 over POSIX for its nine imports. No wasm runtime at all: a gateway firmware can
 * link this the same way. One preopened directory, fd 3 = "." (the working directory); errno
 * values are WASI's. test/wasi.test.ts builds and runs it against the Node library.
 *
 *   wasm2c build/ssrnet-wasi-scalar.wasm -n ssrnet -o ssrnet.c
 *   cc -O2 -ffp-contract=off -I. examples/c/wasi-host.c ssrnet.c /usr/share/wabt/wasm2c/wasm-rt-impl.c -lm -o ssrnet-wasi
 *   ./ssrnet-wasi --gender photo.ppm            # or: camera | ./ssrnet-wasi --raw 640x480 --format yuyv
 *
 * (-ffp-contract=off: wasm forbids fusing a*b+c, which C compilers may do by default.) The linear
 * memory is the module's fixed 244 pages (docs/embedding.md).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ssrnet.h"

enum { WASI_SUCCESS = 0, WASI_EBADF = 8, WASI_EINVAL = 28, WASI_EIO = 29, PREOPEN_FD = 3 };

struct Z_wasi_snapshot_preview1_instance_t {
  wasm_rt_memory_t* memory;
  int argc;
  char** argv;
};

static uint8_t* mem(struct Z_wasi_snapshot_preview1_instance_t* w, u32 offset) {
  return w->memory->data + offset;
}

static void put_u32(struct Z_wasi_snapshot_preview1_instance_t* w, u32 offset, u32 value) {
  memcpy(mem(w, offset), &value, 4); /* wasm memory is little-endian, as x86 */
}

static u32 get_u32(struct Z_wasi_snapshot_preview1_instance_t* w, u32 offset) {
  u32 value;
  memcpy(&value, mem(w, offset), 4);
  return value;
}

u32 Z_wasi_snapshot_preview1Z_args_sizes_get(struct Z_wasi_snapshot_preview1_instance_t* w, u32 argc, u32 size) {
  u32 total = 0;
  for (int i = 0; i < w->argc; i++) total += (u32)strlen(w->argv[i]) + 1;
  put_u32(w, argc, (u32)w->argc);
  put_u32(w, size, total);
  return WASI_SUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_args_get(struct Z_wasi_snapshot_preview1_instance_t* w, u32 argv, u32 buf) {
  for (int i = 0; i < w->argc; i++) {
    u32 n = (u32)strlen(w->argv[i]) + 1;
    memcpy(mem(w, buf), w->argv[i], n);
    put_u32(w, argv + 4 * (u32)i, buf);
    buf += n;
  }
  return WASI_SUCCESS;
}

/** Reads or writes each iovec {u32 buf, u32 len} in turn, like readv/writev. */
static u32 transfer(struct Z_wasi_snapshot_preview1_instance_t* w, int fd, u32 iovs, u32 count, u32 done, int writing) {
  u32 total = 0;
  for (u32 i = 0; i < count; i++) {
    u32 buf = get_u32(w, iovs + 8 * i);
    u32 len = get_u32(w, iovs + 8 * i + 4);
    ssize_t n = writing ? write(fd, mem(w, buf), len) : read(fd, mem(w, buf), len);
    if (n < 0) return WASI_EIO;
    total += (u32)n;
    if ((u32)n < len) break;
  }
  put_u32(w, done, total);
  return WASI_SUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_fd_read(struct Z_wasi_snapshot_preview1_instance_t* w, u32 fd, u32 iovs, u32 count, u32 nread) {
  return fd == 0 || fd > PREOPEN_FD ? transfer(w, (int)fd, iovs, count, nread, 0) : WASI_EBADF;
}

u32 Z_wasi_snapshot_preview1Z_fd_write(struct Z_wasi_snapshot_preview1_instance_t* w, u32 fd, u32 iovs, u32 count, u32 nwritten) {
  return fd == 1 || fd == 2 ? transfer(w, (int)fd, iovs, count, nwritten, 1) : WASI_EBADF;
}

u32 Z_wasi_snapshot_preview1Z_fd_prestat_get(struct Z_wasi_snapshot_preview1_instance_t* w, u32 fd, u32 prestat) {
  if (fd != PREOPEN_FD) return WASI_EBADF;
  put_u32(w, prestat, 0); /* tag 0: directory */
  put_u32(w, prestat + 4, 1); /* name length of "." */
  return WASI_SUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_fd_prestat_dir_name(struct Z_wasi_snapshot_preview1_instance_t* w, u32 fd, u32 path, u32 len) {
  if (fd != PREOPEN_FD || len < 1) return WASI_EBADF;
  *mem(w, path) = '.';
  return WASI_SUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_path_open(struct Z_wasi_snapshot_preview1_instance_t* w, u32 dirfd, u32 dirflags, u32 path, u32 len,
                                        u32 oflags, u64 rights, u64 inheriting, u32 fdflags, u32 opened) {
  (void)dirflags, (void)rights, (void)inheriting, (void)fdflags;
  if (dirfd != PREOPEN_FD || oflags != 0 || len == 0 || len > 4095 || *mem(w, path) == '/') return WASI_EINVAL;
  char name[4096];
  memcpy(name, mem(w, path), len);
  name[len] = 0;
  int file = open(name, O_RDONLY);
  if (file < 0) return WASI_EBADF;
  int fd = fcntl(file, F_DUPFD, PREOPEN_FD + 1); /* WASI fds 0..3 are taken: keep opened files above */
  close(file);
  if (fd < 0) return WASI_EBADF;
  put_u32(w, opened, (u32)fd);
  return WASI_SUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_fd_close(struct Z_wasi_snapshot_preview1_instance_t* w, u32 fd) {
  (void)w;
  return fd > PREOPEN_FD && close((int)fd) == 0 ? WASI_SUCCESS : WASI_EBADF;
}

void Z_wasi_snapshot_preview1Z_proc_exit(struct Z_wasi_snapshot_preview1_instance_t* w, u32 code) {
  (void)w;
  exit((int)code);
}

int main(int argc, char** argv) {
  wasm_rt_init();
  Z_ssrnet_init_module();
  struct Z_wasi_snapshot_preview1_instance_t wasi = {NULL, argc, argv};
  Z_ssrnet_instance_t instance;
  Z_ssrnet_instantiate(&instance, &wasi);
  wasi.memory = Z_ssrnetZ_memory(&instance);
  Z_ssrnetZ__start(&instance);
  Z_ssrnet_free(&instance);
  wasm_rt_free();
  return 0;
}
