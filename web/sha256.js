// SHA-256 of a File: crypto.subtle where the page is a secure context (https, localhost), otherwise a
// small incremental implementation (crypto.subtle is missing on plain http to a LAN address).

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
  0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
  0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
  0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
  0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/**
 * @param {Uint32Array} state
 * @param {Int32Array} w
 * @param {Uint8Array} bytes
 * @param {number} offset
 */
function compress(state, w, bytes, offset) {
  for (let i = 0; i < 16; i++)
    w[i] = (bytes[offset + 4 * i] << 24) | (bytes[offset + 4 * i + 1] << 16) | (bytes[offset + 4 * i + 2] << 8) | bytes[offset + 4 * i + 3];
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15];
    const b = w[i - 2];
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let [a, b, c, d, e, f, g, hh] = state;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += hh;
}

/**
 * @param {Blob} file
 * @returns {Promise<string>}
 */
async function fallbackSha256(file) {
  const state = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Int32Array(64);
  const CHUNK = 4 * 1024 * 1024;
  let carry = new Uint8Array(0);
  for (let pos = 0; pos < file.size; pos += CHUNK) {
    const part = new Uint8Array(await file.slice(pos, pos + CHUNK).arrayBuffer());
    const bytes = new Uint8Array(carry.length + part.length);
    bytes.set(carry);
    bytes.set(part, carry.length);
    const whole = bytes.length - (bytes.length % 64);
    for (let o = 0; o < whole; o += 64) compress(state, w, bytes, o);
    carry = bytes.slice(whole);
  }
  const bitLength = file.size * 8;
  const tailLength = carry.length + 9 <= 64 ? 64 : 128;
  const tail = new Uint8Array(tailLength);
  tail.set(carry);
  tail[carry.length] = 0x80;
  const view = new DataView(tail.buffer);
  view.setUint32(tailLength - 8, Math.floor(bitLength / 2 ** 32));
  view.setUint32(tailLength - 4, bitLength >>> 0);
  for (let o = 0; o < tailLength; o += 64) compress(state, w, tail, o);
  return [...state].map((v) => (v >>> 0).toString(16).padStart(8, '0')).join('');
}

/**
 * The SHA-256 of a file as lowercase hex.
 * @param {Blob} file
 * @returns {Promise<string>}
 */
export async function sha256Hex(file) {
  if (globalThis.crypto?.subtle) {
    const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }
  return fallbackSha256(file);
}

export { fallbackSha256 as sha256HexPortable };
