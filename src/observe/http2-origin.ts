// Requests over HTTP/2 on a pool's connection through Node's own http2, as client-go sends
// them: on a new connection every request made together goes out at once, beside the
// connection preface. undici sends one and holds the others until the server's SETTINGS frame
// arrives (`busy()` in its client-h2.js; its Pool's protocol probe holds them likewise), which
// comes back about when the first answer does: a round trip on every run's path, for the
// host's first reads and each member's (issue 23). A server that does not choose h2 (ALPN) is
// left to undici.
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  connect,
  constants,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { decoded, plainHeaders, requestHeaders } from './http2-messages.js';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** An answer whose body is read as it comes (a watch). */
export interface Streamed {
  status: number;
  body: AsyncIterable<Buffer>;
}

/**
 * How long a connection opened ahead waits for its first request. A Go HTTP/2 server (every
 * kube-apiserver) closes a connection on which no request came within 10 s; one older than
 * this is closed here and a new one opened, so a request never meets one closing under it.
 */
export const OPENED_AHEAD_FOR_MS = 5000;

/** How long a connection whose request missed its deadline has to answer a PING before it is given up. */
const PING_TIMEOUT_MS = 5000;

/**
 * How much of an answer the server may send before the client has read it: client-go's
 * windows (4 MiB a stream, 1 GiB the connection) rather than HTTP/2's 64 KiB, which would
 * cost a large list (or a page of the API server's proxy) a round trip each 64 KiB.
 */
const STREAM_WINDOW = 4 << 20;
const CONNECTION_WINDOW = 1 << 30;

interface Opening {
  /** The session, or undefined when the server chose HTTP/1.1 (undici serves it). */
  session: Promise<ClientHttp2Session | undefined>;
  /** The session once made. */
  made?: ClientHttp2Session;
  /** When it was opened ahead of any request; undefined once a request has used it. */
  aheadAt?: number;
}

export class Http2Origin {
  #opening?: Opening;
  /** Streams open on each session: a session holds the process only while one is. */
  readonly #streams = new WeakMap<ClientHttp2Session, number>();
  /** Sessions asked whether they still answer (one PING at a time). */
  readonly #pinging = new WeakSet<ClientHttp2Session>();

  constructor(
    /** Opens a TLS connection that offers h2 (undici's connector, with the client's TLS options). */
    private readonly openConnection: (origin: URL) => Promise<Socket>,
  ) {}

  /** Opens the connection now, when none is open or opening, so that the first request finds it. */
  openAhead(origin: URL): void {
    if (this.#opening) return;
    this.#open(origin).aheadAt = Date.now();
  }

  /**
   * Sends the request and reads its whole answer, decompressed; undefined when the server
   * speaks HTTP/1.1 only (undici is to send it). Rejects with `signal`'s reason once it aborts.
   */
  async request(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal?: AbortSignal,
  ): Promise<Answer | undefined> {
    for (let attempt = 1; ; attempt++) {
      const session = await whileNotAborted(this.#session(url), signal);
      if (!session) return undefined;
      try {
        return await this.#exchange(session, url, method, headers, body, signal);
      } catch (err) {
        // A request the server never took (refused, or the session was closing as it was
        // made) is sent again on a new connection, once.
        if (attempt === 1 && (err as { unsent?: boolean }).unsent) continue;
        throw err;
      }
    }
  }

  /**
   * Sends a GET whose answer comes bit by bit (a watch) and hands over its status once it
   * comes, and its body as it comes, not decompressed (nothing is asked compressed);
   * undefined when the server speaks HTTP/1.1 only. Aborting `signal` closes the stream.
   */
  async stream(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<Streamed | undefined> {
    const session = await whileNotAborted(this.#session(url), signal);
    if (!session) return undefined;
    return new Promise((resolve, reject) => {
      let stream: ClientHttp2Stream;
      try {
        stream = session.request(requestHeaders('GET', url, headers), { endStream: true });
      } catch (err) {
        this.#forget(session);
        return reject(err as Error);
      }
      this.#streamOpened(session);
      const onAbort = () => {
        stream.close(constants.NGHTTP2_CANCEL);
        reject(signal.reason);
      };
      stream.on('response', (h) => resolve({ status: Number(h[':status']), body: stream }));
      stream.on('error', reject);
      // Registered before any abort, so that a stream closed at once still lets its session go.
      stream.on('close', () => {
        signal.removeEventListener('abort', onAbort);
        this.#streamClosed(session);
        reject(new Error(`the connection closed before the answer came (HTTP/2 code ${stream.rstCode})`));
      });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #session(origin: URL): Promise<ClientHttp2Session | undefined> {
    let opening = this.#opening;
    if (opening?.made && opening.aheadAt !== undefined && Date.now() - opening.aheadAt >= OPENED_AHEAD_FOR_MS) {
      opening.made.close();
      opening = undefined;
    }
    opening ??= this.#open(origin);
    opening.aheadAt = undefined;
    return opening.session;
  }

  #open(origin: URL): Opening {
    const opening: Opening = {
      session: this.openConnection(origin).then((socket) => {
        // A server that chose HTTP/1.1: undici's pool opens its own connections to it.
        if ((socket as TLSSocket).alpnProtocol !== 'h2') {
          socket.end();
          return undefined;
        }
        const session = connect(origin.origin, {
          createConnection: () => socket,
          settings: { enablePush: false, initialWindowSize: STREAM_WINDOW },
        });
        session.once('connect', () => session.setLocalWindowSize(CONNECTION_WINDOW));
        session.unref();
        opening.made = session;
        const forget = () => this.#forget(session);
        session.on('error', forget).on('goaway', forget).on('close', forget);
        return session;
      }),
    };
    // One that failed is opened again by the next request, as if never opened.
    opening.session.catch(() => {
      if (this.#opening === opening) this.#opening = undefined;
    });
    this.#opening = opening;
    return opening;
  }

  /** The next request opens a new connection: this one is closing, closed or failed. */
  #forget(session: ClientHttp2Session): void {
    if (this.#opening?.made === session) this.#opening = undefined;
  }

  #exchange(
    session: ClientHttp2Session,
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal?: AbortSignal,
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let stream;
      try {
        stream = session.request(requestHeaders(method, url, headers), { endStream: body === undefined });
      } catch (err) {
        // The session is closing (or closed) and made no stream: nothing was sent.
        this.#forget(session);
        return reject(Object.assign(err as Error, { unsent: true }));
      }
      this.#streamOpened(session);
      const onAbort = () => {
        stream.close(constants.NGHTTP2_CANCEL);
        reject(signal?.reason);
        this.#checkAlive(session);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let status = 0;
      let answerHeaders: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        status = Number(h[':status']);
        answerHeaders = h;
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        decoded(answerHeaders['content-encoding'], Buffer.concat(chunks)).then(
          (data) => resolve({ status, headers: plainHeaders(answerHeaders), body: data }),
          reject,
        );
      });
      stream.on('error', (err) =>
        reject(stream.rstCode === constants.NGHTTP2_REFUSED_STREAM ? Object.assign(err, { unsent: true }) : err),
      );
      stream.on('close', () => {
        signal?.removeEventListener('abort', onAbort);
        this.#streamClosed(session);
        if (stream.rstCode !== constants.NGHTTP2_NO_ERROR || status === 0)
          reject(
            Object.assign(new Error(`the connection closed before the answer came (HTTP/2 code ${stream.rstCode})`), {
              unsent: stream.rstCode === constants.NGHTTP2_REFUSED_STREAM,
            }),
          );
      });
      if (body !== undefined) stream.end(body);
    });
  }

  #streamOpened(session: ClientHttp2Session): void {
    const open = (this.#streams.get(session) ?? 0) + 1;
    this.#streams.set(session, open);
    if (open === 1) session.ref();
  }

  #streamClosed(session: ClientHttp2Session): void {
    const open = (this.#streams.get(session) ?? 1) - 1;
    this.#streams.set(session, open);
    if (open === 0 && !session.destroyed) session.unref();
  }

  /**
   * After a request missed its deadline: a connection that no longer answers a PING is
   * given up (the next request opens another), as the peer may have gone without closing it.
   */
  #checkAlive(session: ClientHttp2Session): void {
    if (session.destroyed || session.closed || this.#pinging.has(session)) return;
    this.#pinging.add(session);
    const timer = setTimeout(() => session.destroy(), PING_TIMEOUT_MS).unref();
    const answered = (err: Error | null) => {
      clearTimeout(timer);
      this.#pinging.delete(session);
      if (err) session.destroy();
    };
    try {
      if (!session.ping(answered)) answered(null);
    } catch (err) {
      answered(err as Error);
    }
  }
}

/** `work`, or the signal's reason once it aborts first. */
function whileNotAborted<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
