// The stacks' mapping templates under the API Gateway imitation, over normal and hostile bodies.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

import { escapeJavaScript, render, urlDecode, urlEncode } from "./api_gateway.mjs";

const template = (name) => readFileSync(new URL(`./${name}.vtl`, import.meta.url), "utf8");
const REQUEST = { context: { requestId: "c0ffee00-0000-4000-8000-000000000001", requestTimeEpoch: 1767225600123 } };

// What SQS reads: the form's fields, and the message body parsed as the queue worker parses it.
function sentToSqs(body) {
  const form = new URLSearchParams(render(template("entry_request"), { ...REQUEST, body }));
  return { action: form.get("Action"), fields: [...form.keys()], message: JSON.parse(form.get("MessageBody")) };
}

// Values the request model lets through inside the proof of work (strings of up to 512
// characters), chosen to break a template that splices text instead of JSON.
const HOSTILE = [
  'a"b',
  "a'b",
  "back\\slash\\",
  "\\u0041 is not A",
  "#set($x = 1)#end",
  "$context.requestId ${q} $!pow $util.urlEncode('x')",
  "é 😀 \u2028 \u0000 \t\n",
  "&MessageBody=forged&Action=DeleteQueue",
  "%7B%22 + plus",
  "}, \"event_id\": \"Other\", \"x\": {",
];

describe("entry integration request template", () => {
  it("writes the worker's message for a plain entry", () => {
    const { action, fields, message } = sentToSqs('{"event_id": "Sample"}');
    assert.equal(action, "SendMessage");
    assert.deepEqual(fields, ["Action", "MessageBody"]);
    assert.deepEqual(message, {
      event_id: "Sample",
      request_id: REQUEST.context.requestId,
      entered_at: REQUEST.context.requestTimeEpoch,
      pow: null,
    });
  });

  it("passes an explicit null proof of work as null", () => {
    assert.equal(sentToSqs('{"event_id": "Sample", "pow": null}').message.pow, null);
  });

  for (const value of HOSTILE) {
    it(`keeps a proof of work of ${JSON.stringify(value)} exactly and adds no field`, () => {
      const pow = { challenge: value, nonce: value };
      const { fields, message } = sentToSqs(JSON.stringify({ event_id: "Sample", pow }));
      assert.deepEqual(fields, ["Action", "MessageBody"]);
      assert.deepEqual(message, {
        event_id: "Sample",
        request_id: REQUEST.context.requestId,
        entered_at: REQUEST.context.requestTimeEpoch,
        pow,
      });
    });
  }

  it("keeps nesting as nested JSON, not as text", () => {
    const pow = { challenge: { deeper: [1, { "#": "$" }] }, nonce: [] };
    assert.deepEqual(sentToSqs(JSON.stringify({ event_id: "Sample", pow })).message.pow, pow);
  });

  it("keeps an event id's unicode and escapes as JSON", () => {
    for (const eventId of ["Sample-2026_x", 'q"uote', "\\", "ü"]) {
      assert.equal(sentToSqs(JSON.stringify({ event_id: eventId })).message.event_id, eventId);
    }
  });
});

describe("entry integration response template", () => {
  it("answers the API request id as JSON", () => {
    assert.deepEqual(JSON.parse(render(template("entry_response"), REQUEST)), {
      api_request_id: REQUEST.context.requestId,
    });
  });
});

describe("gateway responses", () => {
  for (const message of ["Missing Authentication Token", 'Say "no"', "back\\slash", "it's é"]) {
    it(`shape API Gateway's own error ${JSON.stringify(message)} as {"error": ...}`, () => {
      const answer = render(template("gateway_error"), { context: { error: { message } } });
      assert.deepEqual(JSON.parse(answer), { error: message });
    });
  }

  for (const problem of [
    '[object has missing required properties (["event_id"])]',
    "[ECMA 262 regex \"^[A-Za-z0-9_-]+$\" does not match input string \"it's\"]",
    "[instance type (integer) does not match any allowed primitive type (allowed: [\"string\"])] \\ / é",
  ]) {
    it(`say what the model refused in valid JSON: ${problem.slice(0, 40)}`, () => {
      const answer = render(template("invalid_body"), { context: { error: { validationErrorString: problem } } });
      assert.deepEqual(JSON.parse(answer), { error: `invalid request body: ${problem}` });
    });
  }
});

describe("$input", () => {
  const body = '{"a": {"b": [1, "two", {"c": null}]}, "s": "x\\"y"}';
  it("json() answers the JSON text of a path, and an empty JSON string for nothing", () => {
    assert.equal(render("$input.json('$.a.b[1]')", { body }), '"two"');
    assert.equal(render("$input.json('$.s')", { body }), '"x\\"y"');
    assert.equal(render("$input.json('$.a')", { body }), '{"b":[1,"two",{"c":null}]}');
    assert.equal(render("$input.json('$.missing')", { body }), '""');
  });

  it("path() answers the value, which a template can walk", () => {
    assert.equal(render("$input.path('$.a.b').size()", { body }), "3");
    assert.equal(render("#foreach($x in $input.path('$.a.b'))$foreach.index;#end", { body }), "0;1;2;");
  });

  it("body is the raw payload and params() finds path, then query string, then header", () => {
    const request = {
      body: "raw $ #",
      pathParameters: { id: "p" },
      queryStringParameters: { id: "q", page: "2" },
      headers: { "X-Trace": "h" },
    };
    assert.equal(render("$input.body|$input.params('id')|$input.params('page')|$input.params('x-trace')|$input.params('none')|", request), "raw $ #|p|2|h||");
    assert.equal(render("$input.params().querystring.page", request), "2");
  });
});

describe("$util", () => {
  it("escapeJavaScript escapes as Commons Lang does (single quotes too)", () => {
    assert.equal(escapeJavaScript(`a"b'c\\d/e\nf\u0001é😀`), 'a\\"b\\\'c\\\\d\\/e\\nf\\u0001\\u00E9\\uD83D\\uDE00');
  });

  it("urlEncode encodes as Java's URLEncoder, urlDecode reverses it", () => {
    const text = "a b+c&d=e/f*g.h-i_j~k!l'm(n)o é";
    assert.equal(urlEncode(text), "a+b%2Bc%26d%3De%2Ff*g.h-i_j%7Ek%21l%27m%28n%29o+%C3%A9");
    assert.equal(urlDecode(urlEncode(text)), text);
  });

  it("base64 and parseJson work on UTF-8 text", () => {
    assert.equal(render("$util.base64Encode('é')"), "w6k=");
    assert.equal(render("$util.base64Decode('w6k=')"), "é");
    assert.equal(render("$util.parseJson('{\"k\": [7]}').k.get(0)"), "7");
  });
});
