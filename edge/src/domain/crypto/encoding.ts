/**
 * base64url without padding (RFC 4648 §5), for bytes stored as text in D1 and carried in secrets: the
 * protocol's one implementation. Decoding is strict: anything but the base64url alphabet (no padding)
 * yields null rather than a best guess.
 */
export { decodeBase64Url as fromBase64Url, encodeBase64Url as toBase64Url } from '@airlock/protocol';
