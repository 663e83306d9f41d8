// The envelope both weights formats share (weights/FORMAT.md, weights/YUNET-FORMAT.md): a blob
// with a magic, a u16 version at byte 4, its own length in a header field, arrays in a data area
// after the records, and a trailing CRC-32. The result codes are common to both engines, so one
// host table (src/engine.ts) explains them.

export const OK: i32 = 0;
export const ERR_LENGTH: i32 = 1;
export const ERR_MAGIC: i32 = 2;
export const ERR_VERSION: i32 = 3;
export const ERR_CHECKSUM: i32 = 4;
export const ERR_SHAPE: i32 = 5;
export const ERR_BOUNDS: i32 = 6;
export const ERR_SLOT: i32 = 7;
export const ERR_NOT_LOADED: i32 = 8;
export const ERR_NOT_FINITE: i32 = 9;
export const ERR_ARGUMENT: i32 = 10;
export const ERR_NO_IMAGE: i32 = 11;

/** Fills the 256-entry u32 CRC-32 table (IEEE 802.3, reflected, as zlib's crc32) at `table`. */
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

/**
 * Checks the envelope of the `length`-byte blob at `blob`, in the formats' order: size within
 * [dataStart + 4, capacity], magic, version, the stated length (u32 at `lengthField`), CRC-32.
 */
export function checkEnvelope(
  blob: usize, length: i32, capacity: i32, dataStart: u32,
  magic: u32, version: u16, lengthField: usize, crcTable: usize,
): i32 {
  if (length < <i32>dataStart + 4 || length > capacity) return ERR_LENGTH;
  if (load<u32>(blob) != magic) return ERR_MAGIC;
  if (load<u16>(blob, 4) != version) return ERR_VERSION;
  const len = <u32>length;
  if (load<u32>(blob + lengthField) != len) return ERR_LENGTH;
  if (crc32(crcTable, blob, len - 4) != load<u32>(blob + len - 4)) return ERR_CHECKSUM;
  return OK;
}

/** True when [offset, offset + bytes) lies in the data area (before the checksum) with the alignment. */
export function inData(offset: u32, bytes: u32, length: u32, dataStart: u32, alignment: u32): bool {
  return offset >= dataStart && (offset & (alignment - 1)) == 0 && <u64>offset + <u64>bytes <= <u64>(length - 4);
}

/** True when all `count` f32 values at `ptr` are finite (a relu would silently turn NaN into 0). */
export function allFinite(ptr: usize, count: u32): bool {
  for (let i: u32 = 0; i < count; i++) {
    if (!isFinite<f32>(load<f32>(ptr + (<usize>i << 2)))) return false;
  }
  return true;
}
