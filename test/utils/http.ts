export interface JsonResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** fetch + JSON, never throwing on an HTTP status (tests assert on it). */
export async function request<T = any>(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<JsonResponse<T>> {
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text so the assertion shows it */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export const get = <T = any>(url: string) => request<T>('GET', url);
export const post = <T = any>(url: string, body?: unknown) => request<T>('POST', url, body);
