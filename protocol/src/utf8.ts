const encoder = new TextEncoder();

/** UTF-8 bytes of a string: limits are in bytes, whatever the script. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

export function byteLength(text: string): number {
  return utf8(text).byteLength;
}
