/**
 * A small typed queue client for TypeScript teams: openapi-fetch over the types generated from
 * openapi.yaml (`fal-queue.d.ts`). Submit, stream or poll, result, cancel, with the contract's URL
 * rewriting rule: every URL a response hands over keeps its path and gets the gateway's origin.
 *
 * Run against the mock gateway by `make ts-run` (`run-against-mock.test.ts`).
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, operations, paths } from "./fal-queue";

type Schemas = components["schemas"];
/** A submit answer whose three URLs are there: rewritten to the gateway, or built from the request id. */
export type SubmitResponse = Schemas["QueueSubmitResponse"] & { response_url: string; status_url: string; cancel_url: string };
export type RequestStatus = Schemas["RequestStatus"];
export type ResultOutput = operations["get_result"]["responses"][200]["content"]["application/json"];
export type ImageOutput = Schemas["ImageOutput"];
export type CancelStatus = Schemas["CancelResponse"];
/** The submit paths of openapi.yaml, e.g. `/fal-ai/flux-1/schnell`. */
export type ModelPath = {
  [P in keyof paths]: paths[P] extends { post: unknown } ? P : never;
}[keyof paths];
export type InputOf<P extends ModelPath> = paths[P] extends {
  post: { requestBody: { content: { "application/json": infer B } } };
}
  ? B
  : never;

/** Narrow a result to the image output (`images[]`); other models answer video or free-form JSON. */
export function isImageOutput(result: ResultOutput): result is ImageOutput {
  return typeof result === "object" && result !== null && Array.isArray((result as { images?: unknown }).images);
}

/** A base URL without its trailing slashes: `https://gw.example/v1/` and `https://gw.example/v1` are one gateway. */
export function normalizeBaseUrl(baseUrl: string): string {
  const url = new URL(baseUrl); // throws on a relative or malformed URL
  if (url.search || url.hash) throw new TypeError(`base URL ${baseUrl} must not have a query or fragment`);
  return url.origin + url.pathname.replace(/\/+$/, "");
}

/** The contract's rule: keep the path and query of a URL from a response, use the gateway's origin (and prefix). */
export function toGateway(falUrl: string, baseUrl: string): string {
  const url = new URL(falUrl);
  return normalizeBaseUrl(baseUrl) + url.pathname + url.search;
}

export class QueueApiError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    const detail = (body as { detail?: unknown } | undefined)?.detail;
    super(`${operation}: queue API answered ${status}${typeof detail === "string" ? `: ${detail}` : ""}`);
  }
}

/** Where a job lives, read from its (rewritten) status URL: `{base}/{owner}/{app}/requests/{id}/status`. */
export interface JobRef {
  owner: string;
  app: string;
  request_id: string;
}

export class QueueClient {
  readonly baseUrl: string;
  private readonly api: Client<paths>;

  constructor(baseUrl: string, key: string, fetchImpl: typeof fetch = globalThis.fetch) {
    this.baseUrl = normalizeBaseUrl(baseUrl);
    this.api = createClient<paths>({
      baseUrl: this.baseUrl,
      headers: { Authorization: `Bearer ${key}` },
      fetch: fetchImpl,
    });
  }

  /** Queue a job; the answer's URLs are already rewritten to this gateway. */
  async submit<P extends ModelPath>(model: P, input: InputOf<P>): Promise<SubmitResponse> {
    // openapi-fetch's POST is typed per path; the union of all submit paths needs one cast here.
    const post = this.api.POST as unknown as (
      path: string,
      init: { body: unknown },
    ) => Promise<{ data?: Schemas["QueueSubmitResponse"]; error?: unknown; response: Response }>;
    const { data, error, response } = await post(model, { body: input });
    if (data === undefined) throw new QueueApiError("submit", response.status, error);
    return this.withUrls(model, this.rewrite(data));
  }

  /** fal's documents mark the URLs optional: a missing one is built from the request id and the app
   * (the model path's first two segments), so a paid job stays reachable. */
  private withUrls(model: string, data: Schemas["QueueSubmitResponse"]): SubmitResponse {
    const app = model.split("/").filter(Boolean).slice(0, 2).join("/");
    const root = `${this.baseUrl}/${app}/requests/${encodeURIComponent(data.request_id)}`;
    return {
      ...data,
      response_url: data.response_url ?? root,
      status_url: data.status_url ?? `${root}/status`,
      cancel_url: data.cancel_url ?? `${root}/cancel`,
    };
  }

  /** The job's coordinates, taken from its status URL (after rewriting) rather than rebuilt by hand. */
  jobRef(job: { status_url: string }): JobRef {
    const path = new URL(toGateway(job.status_url, this.baseUrl)).pathname;
    const prefix = new URL(this.baseUrl).pathname.replace(/\/+$/, "");
    const rest = path.slice(prefix.length).split("/").filter(Boolean);
    const [owner, app, requests, request_id, status] = rest;
    if (rest.length !== 5 || requests !== "requests" || status !== "status" || !owner || !app || !request_id)
      throw new TypeError(`status URL ${job.status_url} does not have the queue layout`);
    return { owner, app, request_id };
  }

  async status(job: SubmitResponse, logs = false): Promise<{ httpStatus: number; body: RequestStatus }> {
    const { data, error, response } = await this.api.GET("/{owner}/{app}/requests/{request_id}/status", {
      params: { path: this.jobRef(job), query: { logs: logs ? "1" : "0" } },
    });
    if (data === undefined) throw new QueueApiError("status", response.status, error);
    return { httpStatus: response.status, body: this.rewrite(data) };
  }

  /** Poll until COMPLETED, with a wall-clock bound. */
  async poll(job: SubmitResponse, { timeoutMs = 60_000, intervalMs = 50 } = {}): Promise<RequestStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await this.status(job);
      if (body.status === "COMPLETED") return body;
      if (Date.now() >= deadline) throw new Error(`job ${job.request_id} not completed within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /** Status events from the stream until COMPLETED (the stream closes after it); bounded by `timeoutMs`. */
  async *stream(job: SubmitResponse, { timeoutMs = 60_000 } = {}): AsyncGenerator<RequestStatus> {
    const signal = AbortSignal.timeout(timeoutMs);
    const { response } = await this.api.GET("/{owner}/{app}/requests/{request_id}/status/stream", {
      params: { path: this.jobRef(job) },
      parseAs: "stream",
      signal,
    });
    if (response.status !== 200 || response.body === null) {
      throw new QueueApiError("stream", response.status, await response.json().catch(() => undefined));
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).trimStart())
            .join("\n");
          if (!data) continue; // a `: ping` comment
          const event = this.rewrite(JSON.parse(data) as RequestStatus);
          yield event;
          if (event.status === "COMPLETED") return;
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  async result(job: SubmitResponse): Promise<ResultOutput> {
    const { data, error, response } = await this.api.GET("/{owner}/{app}/requests/{request_id}", {
      params: { path: this.jobRef(job) },
    });
    if (data === undefined) throw new QueueApiError("result", response.status, error);
    return data;
  }

  /** `CANCELLATION_REQUESTED` while queued or running, `ALREADY_COMPLETED` after; fal's per-endpoint
   * `{"success": bool}` comes back as `CANCELLATION_REQUESTED` or `NOT_CANCELLED`, as in the Python SDK. */
  async cancel(job: SubmitResponse): Promise<string> {
    const { data, error, response } = await this.api.PUT("/{owner}/{app}/requests/{request_id}/cancel", {
      params: { path: this.jobRef(job) },
    });
    if (data !== undefined) {
      if (data.status !== undefined) return data.status;
      if (data.success !== undefined) return data.success ? "CANCELLATION_REQUESTED" : "NOT_CANCELLED";
      throw new QueueApiError("cancel", response.status, data);
    }
    const status = (error as { status?: unknown } | undefined)?.status;
    if (response.status === 400 && status === "ALREADY_COMPLETED") return status;
    throw new QueueApiError("cancel", response.status, error);
  }

  private rewrite<T extends { response_url?: string; status_url?: string; cancel_url?: string }>(body: T): T {
    const out: Record<string, unknown> = { ...body };
    for (const key of ["response_url", "status_url", "cancel_url"]) {
      const url = out[key];
      if (typeof url === "string") out[key] = toGateway(url, this.baseUrl);
    }
    return out as T;
  }
}
