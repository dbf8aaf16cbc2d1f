// How a request and its answer, shaped as the official client makes and reads them (HTTP/1.1's
// headers, a whole body), go over HTTP/2 (http2-origin.ts).
import type { IncomingHttpHeaders } from 'node:http2';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';

/** Headers of an HTTP/1.1 connection, which HTTP/2 forbids (RFC 9113 8.2.2); `:authority` stands for `host`. */
const CONNECTION_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
]);

const DECODERS: Record<string, (data: Buffer) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

/** A request's headers as HTTP/2 sends them: pseudo-headers first, names lower-case, no connection headers. */
export function requestHeaders(method: string, url: URL, headers: Record<string, string>): Record<string, string> {
  const request: Record<string, string> = { ':method': method, ':path': url.pathname + url.search };
  for (const [name, value] of Object.entries(headers))
    if (!CONNECTION_HEADERS.has(name.toLowerCase())) request[name.toLowerCase()] = value;
  return request;
}

/** An answer's body, decoded as its content-encoding says. */
export async function decoded(encoding: string | string[] | undefined, data: Buffer): Promise<Buffer> {
  const decode = typeof encoding === 'string' ? DECODERS[encoding.trim().toLowerCase()] : undefined;
  return decode ? decode(data) : data;
}

/** The answer's headers as the client takes them: names lower-case, repeated values joined, no pseudo-headers. */
export function plainHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const plain: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (!name.startsWith(':') && value !== undefined) plain[name] = Array.isArray(value) ? value.join(', ') : value;
  return plain;
}
