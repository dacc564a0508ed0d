const encoder = new TextEncoder();

/** UTF-8 length of a string: limits are in bytes, whatever the script. */
export function byteLength(text: string): number {
  return encoder.encode(text).byteLength;
}
