// API Gateway's mapping templates (REST APIs), evaluated as API Gateway evaluates them: Velocity
// (velocityjs) with the `$input`, `$util` and `$context` variables of API Gateway's reference
// "Variables for data transformations". The stacks deploy the .vtl files of this folder; the local
// runtime and the tests evaluate the same files here.
import velocity from "velocityjs";
import { JSONPath } from "jsonpath-plus";

const { Compile, parse } = velocity;
const compiled = new Map();

function compile(template) {
  if (!compiled.has(template)) {
    compiled.set(template, new Compile(parse(template), { escape: false, customMethodHandlers: JAVA_STRINGS }));
  }
  return compiled.get(template);
}

// A template calls Java's String methods; where JavaScript's namesake differs, Java's rule wins.
// `replaceAll` takes a regular expression in Java (AWS documents
// `$util.escapeJavaScript($x).replaceAll("\\'", "'")`), a literal text in JavaScript.
const JAVA_STRINGS = [
  {
    uid: "java-string-replaceAll",
    match: ({ property, context }) => property === "replaceAll" && typeof context === "string",
    resolve: ({ context, params }) => context.replace(new RegExp(params[0], "g"), javaReplacement(params[1])),
  },
  {
    uid: "java-string-length",
    match: ({ property, context }) => property === "length" && typeof context === "string",
    resolve: ({ context }) => context.length,
  },
];

// Java's replacement text uses `$1` and `\$`; JavaScript's uses `$1` and `$$`.
function javaReplacement(text) {
  return String(text).replace(/\\(.)|\$/g, (whole, escaped) => (escaped === undefined ? "$" : escaped === "$" ? "$$" : escaped));
}

// The value a JSONPath selects in the body, `undefined` when it selects nothing. API Gateway
// parses the body as JSON only when a template asks for it; an unparsable body fails the call.
function select(body, path) {
  let document;
  try {
    document = JSON.parse(body === "" ? "{}" : body);
  } catch (error) {
    throw new MappingError(`the body is not JSON: ${error.message}`);
  }
  if (path === "$") return document;
  const found = JSONPath({ path, json: document, wrap: true });
  return found.length === 0 ? undefined : found[0];
}

export class MappingError extends Error {
  name = "MappingError";
}

// Java's URLEncoder (application/x-www-form-urlencoded, UTF-8): letters, digits and `.-*_` stay,
// a space becomes `+`, every other byte is `%XX` in upper case.
export function urlEncode(text) {
  // A lone surrogate has no UTF-8 form: Java writes `?` for it.
  const wellFormed = String(text).replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "?");
  return encodeURIComponent(wellFormed)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
}

export function urlDecode(text) {
  return decodeURIComponent(String(text).replace(/\+/g, " "));
}

// Commons Lang's escapeJavaScript, which API Gateway documents: quotes (single ones too), the
// backslash and `/` escaped; control characters as \b \f \n \r \t or \u00XX; every character
// beyond ASCII as \uXXXX in upper case.
export function escapeJavaScript(text) {
  if (text === null || text === undefined) return "";
  let escaped = "";
  for (const unit of String(text)) {
    for (let i = 0; i < unit.length; i += 1) {
      const code = unit.charCodeAt(i);
      const char = unit[i];
      if (code > 0x7f || (code < 0x20 && !"\b\f\n\r\t".includes(char))) {
        escaped += `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
      } else {
        escaped += { "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "'": "\\'", "\\": "\\\\", "/": "\\/" }[char] ?? char;
      }
    }
  }
  return escaped;
}

function util() {
  return {
    escapeJavaScript,
    urlEncode,
    urlDecode,
    parseJson: (text) => JSON.parse(text),
    base64Encode: (text) => Buffer.from(String(text), "utf8").toString("base64"),
    base64Decode: (text) => Buffer.from(String(text), "base64").toString("utf8"),
  };
}

function input(request) {
  const body = request.body ?? "";
  const params = {
    path: { ...(request.pathParameters ?? {}) },
    querystring: { ...(request.queryStringParameters ?? {}) },
    header: { ...(request.headers ?? {}) },
  };
  return {
    body,
    // The JSON text of what the path selects; `""` when it selects nothing.
    json: (path) => {
      const value = select(body, path);
      return value === undefined ? '""' : JSON.stringify(value);
    },
    // The value itself, for a template to walk.
    path: (path) => {
      const value = select(body, path);
      return value === undefined ? null : value;
    },
    // No name: every parameter by location. A name: path, then query string, then header.
    params: (name) => {
      if (name === undefined) return params;
      for (const location of [params.path, params.querystring, params.header]) {
        const found = Object.entries(location).find(([key]) => key === name || (location === params.header && key.toLowerCase() === name.toLowerCase()));
        if (found) return found[1];
      }
      return "";
    },
  };
}

function context(request) {
  const given = request.context ?? {};
  const error = given.error ?? {};
  return {
    stage: "api",
    httpMethod: request.httpMethod ?? "POST",
    resourcePath: request.resourcePath ?? "/",
    path: request.path ?? "/",
    ...given,
    identity: { sourceIp: "127.0.0.1", userAgent: "", ...(given.identity ?? {}) },
    error: {
      ...error,
      // "The quoted value of $context.error.message".
      messageString: error.message === undefined ? undefined : JSON.stringify(String(error.message)),
    },
  };
}

/**
 * One template evaluated for one request.
 * request: {body, headers, pathParameters, queryStringParameters, httpMethod, path, resourcePath,
 *           context: {requestId, requestTimeEpoch, identity: {sourceIp, ...}, error: {...}, ...}}
 */
export function render(template, request = {}) {
  return compile(template).render({ input: input(request), util: util(), context: context(request) });
}
