// fal-operation-error-responses: every operation under `paths` declares the error statuses a client
// must handle. A status counts as declared when it is listed explicitly (`"404"`) or through its
// range (`"4XX"`); `default` never counts, because it says nothing about which failures are retryable.
// `401` is not asked of an operation that turns security off (`security: []`).
export default function errorResponses(operation, options, context) {
  if (operation === null || typeof operation !== "object") return [];
  const statuses = (options && options.statuses) || [];
  const responses = operation.responses;
  if (responses === null || typeof responses !== "object") {
    return [{ message: "Operation declares no responses at all.", path: [...context.path] }];
  }
  const keys = new Set(Object.keys(responses).map((k) => k.toUpperCase()));
  const anonymous = Array.isArray(operation.security) && operation.security.length === 0;
  const missing = statuses
    .map(String)
    .filter((s) => !(anonymous && s === "401"))
    .filter((s) => !keys.has(s) && !keys.has(`${s[0]}XX`));
  if (missing.length === 0) return [];
  return [
    {
      message: `Operation must declare error response(s) ${missing.join(", ")} (explicitly or via 4XX/5XX).`,
      path: [...context.path, "responses"],
    },
  ];
}
