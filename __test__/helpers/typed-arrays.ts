/** Typed-array values the engine, codec and conformance data share. */

/** One small typed array of every dtype (code = index + 1). */
export function typedArraysOfEveryDtype(): ArrayBufferView[] {
  return [
    new Int8Array([-128, -1, 0, 1, 127]),
    new Uint8Array([0, 1, 254, 255]),
    new Uint8ClampedArray([0, 128, 255]),
    new Int16Array([-32768, -1, 0, 32767]),
    new Uint16Array([0, 1, 65535]),
    new Int32Array([-(2 ** 31), -1, 0, 2 ** 31 - 1]),
    new Uint32Array([0, 1, 2 ** 32 - 1]),
    new Float32Array([0, -1.5, 3.25, Infinity, NaN]),
    new Float64Array([0, -1.5, Math.PI, -Infinity, NaN, 2 ** 60]),
    new BigInt64Array([-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n]),
    new BigUint64Array([0n, 1n, 2n ** 64n - 1n]),
  ];
}
