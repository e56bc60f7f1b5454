// fal-submit-links: a submit operation (a POST whose path starts with one of `pathPrefixes`, or whose
// operationId starts with `submit_`) has, on every 2xx response, links to each of `operationIds`, and
// each of those links passes `request_id`, so that clients and stateful testers can follow the job.
export default function submitLinks(operation, options, context) {
  if (operation === null || typeof operation !== "object") return [];
  const prefixes = (options && options.pathPrefixes) || [];
  const required = (options && options.operationIds) || [];
  const pathKey = String(context.path[1] ?? "");
  const isSubmit =
    prefixes.some((p) => pathKey.startsWith(p)) ||
    (typeof operation.operationId === "string" && operation.operationId.startsWith("submit_"));
  if (!isSubmit) return [];
  const responses = operation.responses && typeof operation.responses === "object" ? operation.responses : {};
  const success = Object.entries(responses).filter(([status]) => /^2/.test(status));
  if (success.length === 0) {
    return [{ message: "Submit operation has no 2xx response to hang links on.", path: [...context.path, "responses"] }];
  }
  const out = [];
  for (const [status, response] of success) {
    const links = response && typeof response.links === "object" && response.links ? Object.values(response.links) : [];
    for (const target of required) {
      const link = links.find((l) => l && l.operationId === target);
      const path = [...context.path, "responses", status];
      if (!link) {
        out.push({ message: `Submit response ${status} needs a link to \`${target}\`.`, path });
      } else if (!link.parameters || link.parameters.request_id === undefined) {
        out.push({ message: `Link to \`${target}\` on response ${status} must pass \`request_id\`.`, path });
      }
    }
  }
  return out;
}
