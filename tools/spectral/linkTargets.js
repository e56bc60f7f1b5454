// fal-link-target: every response link names, by operationId, an operation that exists under `paths`.
// (openapi-spec-validator and the Python generator do not check this; a dangling link silently breaks
// schemathesis' stateful phase and misleads readers of the docs.)
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

export default function linkTargets(doc, _options, _context) {
  if (doc === null || typeof doc !== "object") return [];
  const ids = new Set();
  for (const item of Object.values(doc.paths || {})) {
    for (const m of METHODS) if (item && item[m] && item[m].operationId) ids.add(item[m].operationId);
  }
  const out = [];
  const check = (links, path) => {
    if (!links || typeof links !== "object") return;
    for (const [name, link] of Object.entries(links)) {
      if (!link || typeof link !== "object" || link.$ref) continue;
      if (link.operationRef !== undefined) {
        out.push({ message: `Link "${name}" uses operationRef; use operationId.`, path: [...path, name] });
      } else if (!ids.has(link.operationId)) {
        out.push({ message: `Link "${name}" targets unknown operationId \`${link.operationId}\`.`, path: [...path, name] });
      }
    }
  };
  for (const [name, response] of Object.entries((doc.components && doc.components.responses) || {})) {
    check(response && response.links, ["components", "responses", name, "links"]);
  }
  for (const [name, link] of Object.entries((doc.components && doc.components.links) || {})) {
    check({ [name]: link }, ["components", "links"]);
  }
  for (const [p, item] of Object.entries(doc.paths || {})) {
    for (const m of METHODS) {
      const responses = (item && item[m] && item[m].responses) || {};
      for (const [status, response] of Object.entries(responses)) {
        check(response && response.links, ["paths", p, m, "responses", status, "links"]);
      }
    }
  }
  return out;
}
