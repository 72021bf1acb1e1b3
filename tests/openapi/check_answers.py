#!/usr/bin/python3
"""Every answer the integration tests received, validated against the
OpenAPI document's schema for its route and status (JSON Schema 2020-12,
Debian's python3-jsonschema; $refs resolved inside the document).

    check_answers.py web/openapi.json ANSWERS.jsonl

ANSWERS.jsonl: one {"method", "path", "status", "body"} a line, written by
the harness when PROCURD_ANSWERS names the file (make check sets it).
An answer of a route whose status the document does not list fails; so
does a body its schema refuses. Paths that are no route (the console's
files, hostile probes) are checked as errors when they are errors."""
import collections
import json
import re
import sys
import warnings

import jsonschema

warnings.filterwarnings("ignore", category=DeprecationWarning)	# RefResolver, newer jsonschema

doc = json.load(open(sys.argv[1], encoding="utf-8"))
resolver = jsonschema.RefResolver.from_schema(doc)
routes = []
for path, ops in doc["paths"].items():
    rx = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
    routes.append((rx, path, ops))
ERROR = {"$ref": "#/components/schemas/Error"}
validators = {}


def validator(schema):
    key = json.dumps(schema, sort_keys=True)
    if key not in validators:
        validators[key] = jsonschema.Draft202012Validator(schema, resolver=resolver)
    return validators[key]


def schema_of(response, ctype):
    """The JSON schema of RESPONSE, None when it is not JSON; False when the
    document does not give the answer's type CTYPE."""
    if "$ref" in response:
        response = resolver.resolve(response["$ref"])[1]
    content = response.get("content", {})
    if ctype and ctype != "application/json":
        return None if ctype in content or not content else False
    if "application/json" in content:
        return content["application/json"].get("schema", {})
    return None


problems, seen, by_route = [], 0, collections.Counter()
with open(sys.argv[2], encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        a = json.loads(line)
        method, path, status = a["method"].lower(), a["path"].split("?")[0], str(a["status"])
        if method in ("head", "options") or status in ("204", "304"):
            continue
        seen += 1
        match = next(((p, ops) for rx, p, ops in routes if rx.match(path)), None)
        where = f"line {n}: {a['method']} {path} -> {status}"
        if match is None or method not in match[1]:
            # no route here: an error must still be the error shape
            if status >= "400" and a["body"].startswith("{"):
                errs = list(validator(ERROR).iter_errors(json.loads(a["body"])))
                if errs:
                    problems.append(f"{where}: not the error shape: {errs[0].message}")
            continue
        op = match[1][method]
        by_route[f"{method.upper()} {match[0]}"] += 1
        if status not in op["responses"]:
            problems.append(f"{where}: status {status} is not in the document")
            continue
        schema = schema_of(op["responses"][status], a.get("type", ""))
        if schema is False:
            problems.append(f"{where}: the answer's type {a['type']} is not in the document")
            continue
        if schema is None:
            if a.get("type") == "text/csv" and not a["body"].startswith("\ufeff"):
                problems.append(f"{where}: CSV without its byte order mark")
            continue
        try:
            body = json.loads(a["body"])
        except ValueError:
            problems.append(f"{where}: the body is not JSON")
            continue
        errs = sorted(validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
        for e in errs[:2]:
            problems.append(f"{where}: {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}")

ops = sum(len(v) for v in doc["paths"].values())
print(f"check_answers.py: {seen} answers of {len(by_route)} of the document's {ops} operations "
      f"validated", file=sys.stderr)
if problems:
    print("\n".join(problems[:60]), file=sys.stderr)
    print(f"{len(problems)} problems", file=sys.stderr)
    sys.exit(1)
