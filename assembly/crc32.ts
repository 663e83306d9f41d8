// CRC-32 (IEEE 802.3, reflected, as zlib's crc32): the checksum of both weights formats
// (weights/FORMAT.md, weights/BLAZEFACE-FORMAT.md). Table-driven; each module keeps its 1 KiB
// table in its own arena.

/** Fills the 256-entry u32 table at `table`. Called once at instantiation. */
export function initCrcTable(table: usize): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    store<u32>(table + (<usize>n << 2), c);
  }
}

/** CRC-32 of `len` bytes at `ptr`, using the table filled by initCrcTable. */
export function crc32(table: usize, ptr: usize, len: usize): u32 {
  let c: u32 = 0xffffffff;
  for (let i: usize = 0; i < len; i++) {
    c = load<u32>(table + (<usize>((c ^ load<u8>(ptr + i)) & 0xff) << 2)) ^ (c >>> 8);
  }
  return c ^ 0xffffffff;
}
