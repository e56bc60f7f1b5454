/**
 * Compile-time checks of the generated types (`make check-ts`). Each `@ts-expect-error` line must
 * fail to type-check; if the types ever stop rejecting it, tsc reports the unused directive.
 */
import type { components, operations } from "./fal-queue";

type FluxDevInput = components["schemas"]["FluxDevTextToImageInput"];
type IsOptional<T, K extends keyof T> = Record<string, never> extends Pick<T, K> ? true : false;

// Fields with a default (stated in the description) stay optional in requests; `prompt` does not.
export const stepsOptional: IsOptional<FluxDevInput, "num_inference_steps"> = true;
export const guidanceOptional: IsOptional<FluxDevInput, "guidance_scale"> = true;
export const promptRequired: IsOptional<FluxDevInput, "prompt"> = false;

export const minimal: FluxDevInput = { prompt: "a cat" };

// @ts-expect-error `prompt` is required
export const withoutPrompt: FluxDevInput = { num_images: 1 };

// Inputs are open (additionalProperties: true), as fal's are: a field fal added later type-checks.
export const unknownField: FluxDevInput = { prompt: "a cat", steps: 4 };

// Enum-valued fields take the known values and any other string (fal adds values)...
export const knownFormat: FluxDevInput = { prompt: "a cat", output_format: "png" };
export const newFormat: FluxDevInput = { prompt: "a cat", output_format: "webp" };

// ...but the types of known fields stay checked.
// @ts-expect-error `output_format` is a string
export const badFormat: FluxDevInput = { prompt: "a cat", output_format: 5 };

// @ts-expect-error `num_images` is a number
export const badCount: FluxDevInput = { prompt: "a cat", num_images: "two" };

// Submit responses always carry the request id; fal's documents mark the three URLs optional.
type Submitted = operations["submit_kontext"]["responses"][200]["content"]["application/json"];
export const submittedRequired: IsOptional<Submitted, "request_id"> = false;
export const submittedUrlsOptional: IsOptional<Submitted, "status_url" | "response_url" | "cancel_url"> = true;

// The status call's path parameters are all required.
type StatusPath = operations["get_status"]["parameters"]["path"];
export const statusPath: StatusPath = { owner: "fal-ai", app: "flux-1", request_id: "551a32da" };
// @ts-expect-error `request_id` is required
export const statusPathMissing: StatusPath = { owner: "fal-ai", app: "flux-1" };
