/**
 * A typed walk through the queue API for TypeScript teams: nothing but `fetch` and the types that
 * openapi-typescript generated from openapi.yaml (`fal-queue.d.ts`, regenerate with `make ts`).
 *
 * Compiled by `make check-ts` (`tsc --strict --noEmit`); it is an example, not a supported SDK.
 */
import type { components, operations } from "./fal-queue";

type Schemas = components["schemas"];

/** Request body of `POST /fal-ai/flux-1/dev` (operationId `submit_flux_dev`). */
export type FluxDevInput = operations["submit_flux_dev"]["requestBody"]["content"]["application/json"];
/** What every submit answers with (status 200). */
export type SubmitResponse = operations["submit_flux_dev"]["responses"][200]["content"]["application/json"];
/** `get_status` answers 200 once the job has completed and 202 while it is queued or running. */
export type StatusResponse =
  | operations["get_status"]["responses"][200]["content"]["application/json"]
  | operations["get_status"]["responses"][202]["content"]["application/json"];
/** `get_result`'s 200 body: image output, video output, or any JSON object for other models. */
export type ResultOutput = operations["get_result"]["responses"][200]["content"]["application/json"];
export type ImageOutput = Schemas["ImageOutput"];
export type ApiError = Schemas["Error"];

/** 1. A FLUX.1 [dev] request body. Only `prompt` is required; fields left out take the model's default. */
export const fluxDevRequest: FluxDevInput = {
  prompt: "Extreme close-up of a single cat eye, direct frontal view",
  image_size: { width: 1024, height: 768 },
  num_inference_steps: 28,
  guidance_scale: 3.5,
  num_images: 1,
  output_format: "png",
  acceleration: "regular",
};

/**
 * 2. URL rewriting: the URLs in submit and status bodies point at https://queue.fal.run. Keep their
 * path and query, replace the origin with the gateway's base URL (which may carry a path prefix).
 * Credentials go to the gateway only, never to a URL a response handed over.
 */
export function toGateway(falUrl: string, baseUrl: string): string {
  const url = new URL(falUrl);
  return baseUrl.replace(/\/+$/, "") + url.pathname + url.search;
}

/**
 * 2b. fal's documents mark the submit answer's URLs optional: when one is missing, build it from the
 * request id. Calls after submit use the app, the model id's first two segments (`fal-ai/flux-1`).
 */
export function jobUrl(job: SubmitResponse, kind: "status" | "response", baseUrl: string): string {
  const given = kind === "status" ? job.status_url : job.response_url;
  if (given !== undefined) return toGateway(given, baseUrl);
  const root = `${baseUrl.replace(/\/+$/, "")}/fal-ai/flux-1/requests/${encodeURIComponent(job.request_id)}`;
  return kind === "status" ? `${root}/status` : root;
}

export class QueueApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError | undefined,
  ) {
    super(`queue API answered ${status}: ${typeof body?.detail === "string" ? body.detail : "see body"}`);
  }
}

async function call<T>(url: string, key: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    ...init,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
  });
  if (!res.ok) throw new QueueApiError(res.status, (await res.json().catch(() => undefined)) as ApiError | undefined);
  return { status: res.status, body: (await res.json()) as T };
}

/** 3. Submit, and read the submit response. */
export async function submitFluxDev(baseUrl: string, key: string, input: FluxDevInput): Promise<SubmitResponse> {
  // Strip the base URL's trailing slashes as toGateway does: `https://gw/` + `/fal-ai/...` is a 404.
  const { body } = await call<SubmitResponse>(`${baseUrl.replace(/\/+$/, "")}/fal-ai/flux-1/dev`, key, {
    method: "POST",
    body: JSON.stringify(input),
  });
  const position = body.queue_position ?? 0; // optional in the spec: absent means "unknown"
  console.log(`queued ${body.request_id} at position ${position}`);
  return body;
}

/** 4. Poll the status (rewritten to the gateway) until the job has completed. */
export async function waitForCompletion(baseUrl: string, key: string, job: SubmitResponse): Promise<StatusResponse> {
  for (;;) {
    const { status, body } = await call<StatusResponse>(jobUrl(job, "status", baseUrl), key);
    if (status === 200 || body.status === "COMPLETED") {
      if (body.error) throw new QueueApiError(500, { detail: body.error, error_type: body.error_type ?? "unknown" });
      return body;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** 5. Read an image result. Results and their media files expire: download them right away. */
export function isImageOutput(result: ResultOutput): result is ImageOutput {
  return "images" in result && Array.isArray(result.images);
}

export function imageUrls(result: ResultOutput): string[] {
  if (!isImageOutput(result)) return [];
  return result.images.map((image) => `${image.url} (${image.width ?? "?"}x${image.height ?? "?"})`);
}

export async function fetchResult(baseUrl: string, key: string, job: SubmitResponse): Promise<ResultOutput> {
  const { body } = await call<ResultOutput>(jobUrl(job, "response", baseUrl), key);
  return body;
}

/** The whole flow: submit, wait, fetch, list the image URLs. */
export async function generate(baseUrl: string, key: string): Promise<string[]> {
  const job = await submitFluxDev(baseUrl, key, fluxDevRequest);
  await waitForCompletion(baseUrl, key, job);
  return imageUrls(await fetchResult(baseUrl, key, job));
}

/** The spec's own examples, typed: they compile, so the types accept what the API really sends. */
export const exampleSubmitResponse: SubmitResponse = {
  status: "IN_QUEUE",
  request_id: "551a32da-52b2-4be8-bf2f-bfb7cce2b324",
  response_url: "https://queue.fal.run/fal-ai/flux-1/requests/551a32da-52b2-4be8-bf2f-bfb7cce2b324",
  status_url: "https://queue.fal.run/fal-ai/flux-1/requests/551a32da-52b2-4be8-bf2f-bfb7cce2b324/status",
  cancel_url: "https://queue.fal.run/fal-ai/flux-1/requests/551a32da-52b2-4be8-bf2f-bfb7cce2b324/cancel",
  queue_position: 0,
};

export const exampleImageResult: ResultOutput = {
  images: [{ url: "https://v3.fal.media/files/rabbit/aQEmU4lEKKIIr9cDOChUB.png", width: 1024, height: 768, content_type: "image/png" }],
  timings: { inference: 1.2249955059960485 },
  seed: 920212137,
  has_nsfw_concepts: [false],
  prompt: "Extreme close-up of a single cat eye",
};
