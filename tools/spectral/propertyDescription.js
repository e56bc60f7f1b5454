// fal-property-description: walks one schema (unresolved, so each property is reported once, where it is
// written) and reports every property without a `description`. A property that is only a `$ref` passes
// when the schema it points to has a description (component schemas must have one anyway).
const NESTED_LISTS = ["allOf", "anyOf", "oneOf", "prefixItems"];
const NESTED_ONE = ["items", "additionalProperties", "not", "contains", "if", "then", "else", "unevaluatedProperties"];
const NESTED_MAPS = ["$defs", "definitions", "patternProperties", "dependentSchemas"];

function pointer(doc, ref) {
  if (typeof ref !== "string" || !ref.startsWith("#/")) return undefined;
  let node = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (node === null || typeof node !== "object" || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

function described(schema, doc) {
  if (typeof schema.description === "string" && schema.description.trim() !== "") return true;
  if (typeof schema.$ref === "string") {
    const target = pointer(doc, schema.$ref);
    // An external or unresolvable reference is another rule's problem.
    if (target === undefined) return true;
    return target !== null && typeof target === "object" && described(target, doc);
  }
  return false;
}

function walk(schema, path, doc, out, seen) {
  if (schema === null || typeof schema !== "object" || seen.has(schema)) return;
  seen.add(schema);
  if (schema.properties && typeof schema.properties === "object") {
    for (const [name, prop] of Object.entries(schema.properties)) {
      const propPath = [...path, "properties", name];
      if (prop === null || typeof prop !== "object") continue;
      if (!described(prop, doc)) out.push({ message: `Property "${name}" needs a description.`, path: propPath });
      walk(prop, propPath, doc, out, seen);
    }
  }
  for (const key of NESTED_LISTS) {
    if (Array.isArray(schema[key])) schema[key].forEach((s, i) => walk(s, [...path, key, i], doc, out, seen));
  }
  for (const key of NESTED_ONE) walk(schema[key], [...path, key], doc, out, seen);
  for (const key of NESTED_MAPS) {
    if (schema[key] && typeof schema[key] === "object") {
      for (const [name, s] of Object.entries(schema[key])) walk(s, [...path, key, name], doc, out, seen);
    }
  }
}

export default function propertyDescription(schema, _options, context) {
  const out = [];
  walk(schema, [...context.path], context.document.data, out, new WeakSet());
  return out;
}
