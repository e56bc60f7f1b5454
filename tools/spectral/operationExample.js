// fal-operation-example: an operation with a request body carries an `example` or `examples` on every
// request media type; an operation without a body carries one on at least one success (2xx) response
// media type. Examples in error responses do not count: they say nothing about the operation itself.
function hasExample(mediaType) {
  if (mediaType === null || typeof mediaType !== "object") return false;
  if (mediaType.example !== undefined) return true;
  const ex = mediaType.examples;
  return ex !== null && typeof ex === "object" && Object.keys(ex).length > 0;
}

export default function operationExample(operation, _options, context) {
  if (operation === null || typeof operation !== "object") return [];
  const body = operation.requestBody;
  if (body && typeof body === "object" && body.content && typeof body.content === "object") {
    return Object.entries(body.content)
      .filter(([, mt]) => !hasExample(mt))
      .map(([name]) => ({
        message: `Request body media type "${name}" needs an \`example\` or \`examples\`.`,
        path: [...context.path, "requestBody", "content", name],
      }));
  }
  const responses = operation.responses && typeof operation.responses === "object" ? operation.responses : {};
  for (const [status, response] of Object.entries(responses)) {
    if (!/^2/.test(status) || !response || typeof response.content !== "object") continue;
    if (Object.values(response.content).some(hasExample)) return [];
  }
  return [
    {
      message: "Operation without a request body needs an `example`/`examples` on a 2xx response media type.",
      path: [...context.path, "responses"],
    },
  ];
}
