// How the official client's requests go out, in place of its default HTTP library (undici's
// fetch): as HTTP/2 streams of the pool's connection (observe/http2-origin.ts), as client-go
// sends them; and where the server chose HTTP/1.1, or the client built no pool (a proxy),
// through undici's request API on the client's dispatcher. Neither has the WHATWG machinery
// fetch adds to each request (Headers, web streams, chained abort signals): a fifth of a
// 100-member re-run's CPU on 2 cores, and a tenth of its memory (issue 23). As client-go, no
// port is refused (fetch never connects to 6000, 10080 and the other "bad ports" of its
// standard), and answers come gzip-compressed when the server compresses them (lists over 128 KiB).
import { ResponseContext, SelfDecodingBody, type RequestContext, wrapHttpLibrary } from '@kubernetes/client-node';
import { type Dispatcher, getGlobalDispatcher, interceptors, request } from 'undici';
import { http2OriginOf } from './connections.js';
import type { Streamed } from './http2-origin.js';

/** Each pool, composed once with undici's decompression of gzip (and deflate, br) answers. */
const decompressing = new WeakMap<Dispatcher, Dispatcher>();
const decompress = interceptors.decompress({ skipErrorResponses: false });

function decompressingOf(dispatcher: Dispatcher): Dispatcher {
  let composed = decompressing.get(dispatcher);
  if (!composed) decompressing.set(dispatcher, (composed = dispatcher.compose(decompress)));
  return composed;
}

/** Sends the request the client prepared (credentials, dispatcher and deadline applied) and reads its answer. */
export async function send(context: RequestContext): Promise<ResponseContext> {
  const body = context.getBody();
  const text = body === undefined || typeof body === 'string' ? body : String(body);
  const requestHeaders = { 'accept-encoding': 'gzip', ...context.getHeaders() };
  const dispatcher = context.getDispatcher();
  const http2 = dispatcher && http2OriginOf(dispatcher);
  const answer =
    http2 &&
    (await http2.request(
      new URL(context.getUrl()),
      context.getHttpMethod(),
      requestHeaders,
      text,
      context.getSignal(),
    ));
  if (answer)
    return new ResponseContext(answer.status, answer.headers, new SelfDecodingBody(Promise.resolve(answer.body)));
  const response = await request(context.getUrl(), {
    method: context.getHttpMethod() as Dispatcher.HttpMethod,
    headers: requestHeaders,
    body: text,
    signal: context.getSignal(),
    dispatcher: decompressingOf(dispatcher ?? getGlobalDispatcher()),
  });
  // Read whole at once: every answer the action asks for is one document (JSON, or a page of
  // text through the API server's proxy), and an unread body would hold its stream open.
  const data = Buffer.from(await response.body.arrayBuffer());
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers))
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return new ResponseContext(response.statusCode, headers, new SelfDecodingBody(Promise.resolve(data)));
}

/**
 * Sends a GET the client prepared whose answer is read as it comes (a watch): its status, and
 * its body as it comes. Aborting `signal` ends it.
 */
export async function openStream(context: RequestContext, signal: AbortSignal): Promise<Streamed> {
  const headers = context.getHeaders();
  const dispatcher = context.getDispatcher();
  const http2 = dispatcher && http2OriginOf(dispatcher);
  const streamed = http2 && (await http2.stream(new URL(context.getUrl()), headers, signal));
  if (streamed) return streamed;
  const response = await request(context.getUrl(), {
    headers,
    signal,
    dispatcher: dispatcher ?? getGlobalDispatcher(),
  });
  return { status: response.statusCode, body: response.body };
}

/** The client's HTTP library (its `httpApi` option) that sends with `send`. */
export const pooledHttpLibrary = wrapHttpLibrary({ send });
