import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Requests Node's HTTP parser refuses before any handler runs (a URL or headers over the 16 KB
 * limit, a malformed request line) are answered as JSON like every other error, not with Node's
 * empty default.
 */
export function answerClientErrorsAsJson(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [statusCode, code, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [
            431,
            'REQUEST.HEADERS_TOO_LARGE',
            'The request line and headers exceed 16 KB: send long values in a JSON body',
          ]
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'REQUEST.TIMEOUT', 'The request was not received in time']
          : [400, 'REQUEST.MALFORMED_HTTP', `Malformed HTTP request (${err.code ?? 'parse error'})`];
    const body = JSON.stringify({ statusCode, code, message, detail: message });
    socket.end(
      `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
