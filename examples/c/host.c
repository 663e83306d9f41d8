/*
 * A C host for the ssrnet engine (build/ssrnet-scalar.wasm), translated to C by wabt's wasm2c:
 * the call sequence of docs/embedding.md, runtime-neutral apart from the Z_engine* names that
 * wasm2c generates (on WAMR or wasm3 the same five calls go through their call APIs).
 *
 *   wasm2c build/ssrnet-scalar.wasm -n engine -o engine.c
 *   cc -O2 -I. examples/c/host.c engine.c /usr/share/wabt/wasm2c/wasm-rt-impl.c -lm -o ssrnet-host
 *   ./ssrnet-host weights/age-wiki.ssrq face.bgr     # face.bgr: 64x64x3 bytes, BGR, rows top to bottom
 *
 * Prints the age with 17 significant digits; exits 1 with a message on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/** Reads the whole file at `path` into `dst` (at most `capacity` bytes); returns its length or -1. */
static long read_file(const char* path, uint8_t* dst, long capacity) {
  FILE* f = fopen(path, "rb");
  if (!f) return -1;
  long n = (long)fread(dst, 1, (size_t)capacity, f);
  int more = fgetc(f) != EOF; /* longer than capacity */
  fclose(f);
  return more ? -1 : n;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s WEIGHTS.ssrq CROP.bgr\n", argv[0]);
    return 2;
  }
  wasm_rt_init();
  Z_engine_init_module();
  Z_engine_instance_t engine;
  Z_engine_instantiate(&engine); /* runs the start function: tanh and CRC tables */
  uint8_t* memory = Z_engineZ_memory(&engine)->data;

  /* 1. The weights blob goes to weightsPtr(slot), at most weightsCapacity() bytes; loadWeights verifies it. */
  uint32_t slot = 0;
  long length = read_file(argv[1], memory + Z_engineZ_weightsPtr(&engine, slot), Z_engineZ_weightsCapacity(&engine));
  if (length < 0) {
    fprintf(stderr, "cannot read %s (or it is larger than weightsCapacity())\n", argv[1]);
    return 1;
  }
  uint32_t code = Z_engineZ_loadWeights(&engine, slot, (uint32_t)length);
  if (code != 0) {
    fprintf(stderr, "loadWeights: code %u\n", code);
    return 1;
  }

  /* 2. The 64x64x3 BGR crop goes to inputPtr(), exactly inputSize() bytes. */
  uint32_t size = Z_engineZ_inputSize(&engine);
  if (read_file(argv[2], memory + Z_engineZ_inputPtr(&engine), size) != (long)size) {
    fprintf(stderr, "%s must hold exactly %u bytes\n", argv[2], size);
    return 1;
  }

  /* 3. Run the model of the slot; the age is result(). */
  code = Z_engineZ_run(&engine, slot);
  if (code != 0) {
    fprintf(stderr, "run: code %u\n", code);
    return 1;
  }
  printf("%.17g\n", Z_engineZ_result(&engine));

  Z_engine_free(&engine);
  wasm_rt_free();
  return 0;
}
