"""The JSON API. Each handler's docstring, after ``---``, is its part of the OpenAPI document
served at ``/openapi.json``; the answers are the command line's own JSON formats."""

from __future__ import annotations

from starlette.endpoints import HTTPEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import conventions
from . import jobs
from .http import number, read_body, whole_number
from .service import tutor



class Problems(HTTPEndpoint):
    """/api/problems: GET lists, POST adds (one endpoint, so that a 405 names both)."""

    async def get(self, request: Request) -> Response:
        """
        ---
        summary: The problems this server offers
        responses:
          200:
            description: "{problems: [{id, name, description, network: {sizes, activations},
              loss_function, samples, params, uploaded, url}]}"
        """
        entries = tutor(request).library.entries()
        return JSONResponse({"problems": [e.summary() for e in entries]})

    async def post(self, request: Request) -> Response:
        """
        ---
        summary: Add a problem (its YAML, or JSON), validated exactly as the command line does
        description: Kept in this server's memory only; the same text gives the same id.
        requestBody:
          required: true
          content:
            application/yaml: {schema: {type: string}}
            application/json: {schema: {$ref: "#/components/schemas/Problem"}}
        responses:
          201: {description: "The problem's summary, as in GET /api/problems"}
          413: {description: "The body is over 64 KiB"}
          422: {description: "{error, field, line}: the problem is not usable"}
        """
        t = tutor(request)
        entry = await t.upload(await read_body(request))
        return JSONResponse(entry.summary(), status_code=201,
                            headers={"Location": f"/api/problems/{entry.id}"})


async def problem(request: Request) -> Response:
    """
    ---
    summary: One problem, with its YAML text
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}, example: xor}
    responses:
      200: {description: "The summary of GET /api/problems and {yaml}"}
      404: {description: "{error, field}: no such problem"}
    """
    e = tutor(request).entry(request.path_params["id"])
    return JSONResponse({**e.summary(), "yaml": e.text})


async def derivation(request: Request) -> Response:
    """
    ---
    summary: Derivations of dL/dp, as `tutor derive --format json` prints them
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}, example: xor}
      - name: param
        in: query
        description: "A parameter (W1[2,1], b1[2]) or an array (W1); repeat for more.
          Default: all."
        schema: {type: array, items: {type: string}}
        style: form
        explode: true
      - {name: sample, in: query, description: "The sample of the numbers (1-based); default
         the first with the most non-zero inputs", schema: {type: integer, minimum: 1}}
    responses:
      200: {description: "The derivation (format 1, in the README)"}
      404: {description: "{error, field}: no such problem"}
      422: {description: "{error, field}: a parameter or sample that does not exist"}
    """
    t = tutor(request)
    entry = t.entry(request.path_params["id"])
    if entry.is_graph:
        text = await t.computed(("graph-json", entry.id), jobs.graph_json, entry.text,
                                entry.file)
        return Response(text, media_type="application/json")
    # (as the problem writes weights: W1[1,2] of a dlfs problem is tutor's W1[2,1])
    params = [conventions.read(p) for p in request.query_params.getlist("param")] or None
    given = request.query_params.get("sample")
    sample = (entry.problem.exercise_sample if given is None
              else whole_number(given, "sample", 1, 10**9))
    # The same request however it is written: param=W2&param=W2 and param=W2 share an entry.
    key = ("json", entry.id, tuple(sorted({"".join(p.split()) for p in params or ()})), sample)
    text = await t.computed(key, jobs.derivation_json, entry.text, entry.file, params, sample)
    return Response(text, media_type="application/json")


async def check(request: Request) -> Response:
    """
    ---
    summary: Grade answers, as `tutor check --format json` does
    description: "The body is an answers file (YAML, or the same as JSON):
      {sample, decimals, gradients: {W2[1,1]: 0.1234}, sample_gradients: {...},
      formulas: {W1[2,1]: '(yhat - y)*W2[1,2]*a1[2]*(1 - a1[2])*x1'}, values: {yhat: 0.6}}.
      Each check is stopped after 2 s."
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}, example: xor}
      - {name: rtol, in: query, description: "Relative tolerance of numbers (as --rtol)",
         schema: {type: number, minimum: 0, maximum: 1, default: 0.001}}
      - {name: atol, in: query, description: "Absolute tolerance of numbers (as --atol)",
         schema: {type: number, minimum: 0, maximum: 1000, default: 1.0e-8}}
    requestBody:
      required: true
      content:
        application/json: {schema: {$ref: "#/components/schemas/Answers"}}
        application/yaml: {schema: {type: string}}
    responses:
      200: {description: "The report (format 1, in the README): score and results, each
        with right, expected and the named mistake (diagnosis)"}
      404: {description: "{error, field}: no such problem"}
      413: {description: "The body is over 64 KiB"}
      422: {description: "{error, field, line}: answers that cannot be read, or a check
        that took more than 2 s"}
    """
    t = tutor(request)
    entry = t.entry(request.path_params["id"])
    q = request.query_params
    rtol = number(q["rtol"], "rtol", 0, 1) if "rtol" in q else None
    atol = number(q["atol"], "atol", 0, 1e3) if "atol" in q else None
    return JSONResponse(await t.grade(entry, await read_body(request), "request body", rtol,
                                      atol))


async def openapi(request: Request) -> Response:
    return JSONResponse(request.app.state.schemas.get_schema(request.app.routes))
