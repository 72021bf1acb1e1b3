#!/usr/bin/python3
"""Writes web/openapi.json, the OpenAPI 3.1 description of procurd's API,
which procurd serves at GET /v1/openapi.json.

    python3 scripts/openapi.py [OUT]        (make openapi)

The event payloads come from daemon/lifecycle.c's field table, read here;
tests/unit/test_openapi.c checks the document against the daemon's own
route table and lifecycle table (a route missing on either side fails),
make check checks web/openapi.json is what this script writes, and every
answer the integration tests receive is validated against it
(tests/openapi/check_answers.py)."""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "web", "openapi.json")

# --- schemas ------------------------------------------------------------------

def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required=(), nullable=(), /, **props):
    """An object with PROPS; REQUIRED ones present; NULLABLE ones may be null."""
    p = {}
    for k, v in props.items():
        p[k] = {"anyOf": [v, {"type": "null"}]} if k in nullable else v
    o = {"type": "object", "properties": p}
    if required:
        o["required"] = list(required)
    return o


def arr(items):
    return {"type": "array", "items": items}


S = {"type": "string"}
I = {"type": "integer"}
N = {"type": "number"}
B = {"type": "boolean"}
T = {"type": "string", "format": "date-time"}
D = {"type": "string", "format": "date"}
ANY = {}
FEN = {"type": "integer", "description": "money in fen (1/100 yuan)"}
# the types a document may have (daemon/doctype.c)
DOC_TYPES = ["application/pdf", "image/png", "image/jpeg", "image/gif", "image/tiff", "image/webp",
             "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation",
             "application/vnd.oasis.opendocument.text",
             "application/vnd.oasis.opendocument.spreadsheet", "application/ofd"]
BINARY = {"type": "string", "format": "binary"}

STATES = ["draft", "needs_review", "budget_review", "approved", "announced", "tender_failed",
          "scoring", "awarded", "contracted", "in_service", "acceptance", "payment",
          "year_end_review", "closed", "takeover", "terminated", "cancelled"]
STATE = {"type": "string", "enum": STATES}
METHOD = {"type": "string", "enum": ["public_tender", "invited_tender", "competitive_negotiation",
                                     "competitive_consultation", "single_source"]}


def page(item):
    return obj(["items", "next"], ["next"], items=arr(item), next=S)


schemas = {
    "Error": obj(["error"], error=obj(["code", "message", "details"], code=S, message=S,
                                      details={"type": "object"})),
    "Project": obj(["id", "agency", "fiscal_year", "title", "state", "version"],
                   ["next_check", "service_start", "service_end", "quantity", "quality_standard",
                    "funding_source", "method", "catalog_items", "budget_fen", "published_at",
                    "bid_deadline", "requirements", "evaluators_required", "criteria"],
                   id=I, agency=S, fiscal_year=I, title=S, catalog_items=arr(S), budget_fen=FEN,
                   funding_source=S, method=METHOD, quantity=S, quality_standard=S,
                   service_start=S, service_end=S, state=STATE, version=I, next_check=T,
                   budget_approved=B, round=I, published_at=T, bid_deadline=T, requirements=S,
                   evaluators_required=I, criteria=arr(obj(["name", "kind", "weight"], name=S,
                                                           kind=S, weight=I)),
                   award={"type": "object"}, contract={"type": "object"}, paid_fen=FEN,
                   evaluation={"type": "object"}, predecessor_id=I, successor_id=I,
                   created_at=T, updated_at=T, positions=arr(ref("Position")),
                   event={"type": "object", "description": "the history row just written"}),
    "Position": obj(["unit", "count", "annual_wage_fen"], unit=S,
                    count={"type": "integer", "minimum": 1}, annual_wage_fen=FEN,
                    households={"type": "integer", "minimum": 0},
                    recipients={"type": "integer", "minimum": 0}),
    "StaffingReport": obj(["agency", "fiscal_year", "units", "totals"], agency=S, fiscal_year=I,
                          units=arr(obj(["unit", "name", "level", "profile", "required",
                                         "under_contract", "planned", "shortfall"],
                                        ["parent", "region", "unit_kind", "measure", "households",
                                         "recipients", "required", "shortfall",
                                         "lowest_wage_fen", "wage_floor_fen", "special_cap_fen"],
                                        unit=S, name=S, level=S, parent=S, profile=S, region=S,
                                        unit_kind=S, measure=S, households=I, recipients=I,
                                        required=I, under_contract=I, planned=I, shortfall=I,
                                        lowest_wage_fen=FEN, wage_floor_fen=FEN,
                                        wage_below_floor=B, special_cap_fen=FEN,
                                        special_committed_fen=FEN, cite=S)),
                          totals=obj(required=I, under_contract=I, shortfall=I,
                                     special_cap_fen=FEN, special_committed_fen=FEN)),
    "SpendingReport": obj(["agency", "fiscal_year", "total", "by_funding_source", "by_category",
                           "by_method", "by_state"], agency=S, fiscal_year=I,
                          total=ref("SpendingLine"), by_funding_source=arr(ref("SpendingLine")),
                          by_category=arr(ref("SpendingLine")), by_method=arr(ref("SpendingLine")),
                          by_state=arr(ref("SpendingLine"))),
    "SpendingLine": obj(["projects", "budget_fen", "contracted_fen", "paid_fen"], ["value"],
                        value=S, projects=I, budget_fen=FEN, contracted_fen=FEN, paid_fen=FEN),
    "FundingPlan": obj(["agency", "year", "state", "version", "due_at", "escalated", "lines",
                        "by_funding_source", "total_fen", "cap", "history"],
                       ["reported", "next_escalation_at"], agency=S, year=I,
                       state={"enum": ["open", "reported", "confirmed"]}, version=I, due_at=T,
                       escalated=I, next_escalation_at=T, reported={"type": "object"},
                       lines=arr(obj(["component", "project_id", "amount_fen"],
                                     ["funding_source"],
                                     component={"enum": ["running_contracts", "positions_to_keep",
                                                         "approved_projects"]},
                                     project_id=I, title=S, funding_source=S, amount_fen=FEN,
                                     count=I, unit=S, service_start=S, service_end=S)),
                       by_funding_source=arr(obj(["funding_source", "total_fen"],
                                                 funding_source=S, running_contracts_fen=FEN,
                                                 positions_to_keep_fen=FEN,
                                                 approved_projects_fen=FEN, total_fen=FEN)),
                       total_fen=FEN,
                       cap=obj(["special_need_fen", "within"],
                               ["basis_year", "special_funds_fen", "cap_percent", "cap_fen",
                                "within"], basis_year=I, special_funds_fen=FEN, cap_percent=N,
                               cap_fen=FEN, special_need_fen=FEN, within=B),
                       history=arr(ref("HistoryEvent"))),
    "Document": obj(["id", "project_id", "kind", "filename", "content_type", "size", "sha256"],
                    id=I, project_id=I, kind=S, filename=S, content_type={"enum": DOC_TYPES},
                    size=I, sha256={"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    uploaded_by=S, created_at=T),
    "DibaoSpending": obj(["agency", "year", "spending_fen"], agency=S, year=I, spending_fen=FEN,
                         updated_at=T),
    "HistoryEvent": obj(["seq", "event", "from", "to", "actor", "at", "payload", "prev_hash", "hash"],
                        seq=I, event=S, **{"from": S}, to=S, actor=S, at=T, payload=ANY,
                        prev_hash=S, hash=S),
    "Agency": obj(["code", "name", "level", "effective_profile"],
                  ["parent", "lang", "profile", "region", "effective_region"], code=S, name=S,
                  level=S, parent=S, path=S, lang=S, created_at=T, profile=S,
                  region={"enum": ["pearl_river_delta", "east_west_north"]},
                  effective_profile=S,
                  effective_region={"enum": ["pearl_river_delta", "east_west_north"]}),
    "Budget": obj(["agency", "fiscal_year"], agency=S, fiscal_year=I),
    "CatalogItem": obj(["code", "name", "category", "approved", "purchasable"], ["level"], code=S,
                       name=S, category=S, level=S, approved=B, purchasable=B, restricted=B),
    "Contractor": obj(["id", "name", "kind", "credit_code"], id=I, name=S, kind=S, credit_code=S,
                      qualified=B, banned=B, created_at=T, bans=arr({"type": "object"}),
                      evaluations=arr({"type": "object"})),
    "Bid": obj(["id", "contractor_id", "price_fen", "round"], ["contractor_name", "sheets"], id=I,
               project_id=I, contractor_id=I, contractor_name=S, price_fen=FEN, round=I,
               declined=B, created_at=T, sheets=I),
    "Sheet": obj(["bid_id", "project_id", "evaluator", "scores"], bid_id=I, project_id=I,
                 evaluator=S, scores={"type": "object"}, quality_sum=N, created_at=T),
    "Ranking": obj(["items"], items=arr(obj(["rank", "bid_id", "contractor_id", "price_fen",
                                             "quality_score", "price_score", "total"],
                                            rank=I, bid_id=I, contractor_id=I, price_fen=FEN,
                                            quality_score=N, price_score=N, total=N, sheets=I,
                                            eligible=B))),
    "Evaluation": obj(["project_id", "contractor_id", "composite"], ["published_at", "title"],
                      project_id=I, contractor_id=I, contractor_name=S, agency=S, fiscal_year=I,
                      purchaser_score=N, recipient_satisfaction=N, third_party_score=N,
                      composite=N, published_at=T, title=S),
    "Deadline": obj(["id", "project_id", "state", "kind", "level", "event", "due"], ["fire_at"],
                    id=I, project_id=I, state=S, kind=S, level=I, event=S, due=T, fire_at=T,
                    agency=S, title=S),
    "Notification": obj(["id", "channel", "recipient", "template", "status"],
                        ["project_id", "next_attempt_at", "last_error", "delivered_at"],
                        id=I, project_id=I, channel=S, recipient=S, template=S, status=S,
                        attempts=I, next_attempt_at=T, last_error=S, created_at=T,
                        delivered_at=T),
    "Incident": obj(["id", "kind"], ["project_id", "year", "outbox_id", "detail", "resolved_at"],
                    id=I, kind=S, project_id=I, year=I, outbox_id=I, detail=S, created_at=T,
                    resolved_at=T),
    "Me": obj(["id", "name", "roles", "agency", "agency_level", "lang", "password_change_required",
               "signed_in_with"], id=I, name=S, roles=arr(S), agency=S, agency_level=S,
              lang={"enum": ["zh", "en"]}, password_change_required=B, signed_in_with=S,
              csrf_token=S),
    "User": obj(["id", "name", "roles", "agency"], id=I, name=S, roles=arr(S), agency=S,
                disabled=B, has_password=B, password_one_time=B, created_at=T),
    "Lifecycle": obj(["states", "transitions", "events", "methods"],
                     states=arr(obj(["name", "final"], name=S, final=B)),
                     transitions=arr(obj(["from", "event", "to", "roles"], ["to", "alt"],
                                         **{"from": S}, event=S, to=S, alt=S, roles=arr(S))),
                     events=arr(obj(["name", "fields", "documents_required"], name=S, fields=arr(
                         obj(["name", "type", "required"], name=S, type=S, required=B)),
                         documents_required=arr(S))),
                     methods=arr(obj(["name", "bid_window"], name=METHOD, bid_window=obj(
                         ["count", "unit"], count=I, unit=S)))),
    "Tasks": obj(["items", "next", "counts"], ["next"], items=arr(obj(
        ["project", "events", "due", "overdue"], ["due", "working_days_left"],
        project=obj(["id", "title", "agency", "state", "version"], id=I, title=S, agency=S,
                    state=STATE, version=I), events=arr(S), due=T, working_days_left=I,
        overdue=B, soon=B)), next=S, counts={"type": "object", "additionalProperties": I}),
    "Verify": obj(["project_id", "events", "intact"], ["broken_at_seq", "reason"], project_id=I,
                  events=I, intact=B, broken_at_seq=I, reason=S),
    "CalendarYear": obj(["year", "loaded"], ["source", "loaded_at"], year=I, loaded=B, source=S,
                        loaded_at=T, incidents_open=I),
    "PublicListItem": obj(["id", "ocid", "title", "agency", "fiscal_year", "state", "method",
                           "budget_fen"], ["bid_deadline", "published_at"], id=I, ocid=S, title=S,
                          agency=obj(["code", "name"], code=S, name=S), fiscal_year=I,
                          state=STATE, method=METHOD, budget_fen=FEN, bid_deadline=T,
                          published_at=T),
    "PublicProject": dict(obj(["id", "ocid", "title", "agency", "fiscal_year", "catalog_items",
                               "method", "budget_fen", "state", "history"],
                              ["quantity", "quality_standard", "public_since"],
                              id=I, ocid=S, title=S, agency=obj(["code", "name"], code=S, name=S),
                              fiscal_year=I, catalog_items=arr(obj(["code", "name"], code=S, name=S)),
                              quantity=S, quality_standard=S, method=METHOD, budget_fen=FEN,
                              state=STATE, public_since=T, bid_deadline=T, requirements=S,
                              criteria=arr(obj(["name", "kind", "weight"], name=S, kind=S, weight=I)),
                              predecessor_id=I, successor_id=I, award={"type": "object"},
                              bids=arr({"type": "object"}), ranking=arr({"type": "object"}),
                              contract={"type": "object"}, payments=arr(obj(
                                  ["amount_fen", "date"], amount_fen=FEN, date=T)),
                              termination={"type": "object"}, evaluation={"type": "object"},
                              history=arr(obj(["seq", "event", "at", "state"], seq=I, event=S,
                                              at=T, state=STATE))),
                          additionalProperties=False),
    "ReleasePackage": {"type": "object", "required": ["uri", "version", "publishedDate",
                                                      "publisher", "releases"],
                       "description": "An OCDS 1.1 release package (validated against the "
                                      "official schema by tests/ocds/validate.py)",
                       "properties": {"uri": S, "version": {"const": "1.1"}, "publishedDate": T,
                                      "publisher": obj(["name"], name=S),
                                      "releases": arr(obj(["ocid", "id", "date", "tag",
                                                           "initiationType"], ocid=S, id=S,
                                                          date=T, tag=arr(S), initiationType=S)),
                                      "links": obj(["next"], next=S)}},
    "RecordPackage": {"type": "object", "required": ["uri", "version", "publishedDate",
                                                     "publisher", "records"],
                      "description": "An OCDS 1.1 record package",
                      "properties": {"uri": S, "version": {"const": "1.1"}, "publishedDate": T,
                                     "publisher": obj(["name"], name=S),
                                     "records": arr(obj(["ocid", "releases", "compiledRelease",
                                                         "versionedRelease"], ocid=S,
                                                        releases=arr({"type": "object"}),
                                                        compiledRelease={"type": "object"},
                                                        versionedRelease={"type": "object"}))}},
    "Health": obj(["status"], status=S, ready=B, database=B, reason=S),
}

# --- event payloads, from the lifecycle table ---------------------------------------

src = open(os.path.join(ROOT, "daemon", "lifecycle.c"), encoding="utf-8").read()
arrays = {}
for name, body in re.findall(r"static const struct lc_field (f_\w+)\[\] = \{(.*?)\};", src, re.S):
    fields = []
    for m in re.finditer(r'(REQ|OPT)\("(\w+)", FT_(\w+)\)|COMMENT', body):
        if m.group(0) == "COMMENT":	# a comment, and documents named by id
            fields.append(("comment", "STRING", False))
            fields.append(("documents", "ARRAY", False))
        else:
            fields.append((m.group(2), m.group(3), m.group(1) == "REQ"))
    arrays[name] = fields
events = re.findall(r"\[EV_(\w+)\] = FIELDS\((f_\w+)\)", src)
FT = {"STRING": S, "INT": I, "NUMBER": N, "TIME": T, "OBJECT": {"type": "object"},
      "ARRAY": {"type": "array"}, "ANY": ANY}
event_variants = []
for ev, arrname in events:
    name = ev.lower()
    fields = arrays[arrname]
    payload = {"type": "object", "additionalProperties": False,
               "properties": {f: FT[t] for f, t, _ in fields},
               "required": [f for f, _, req in fields if req]}
    if not payload["required"]:
        del payload["required"]
    schemas["Payload_" + name] = payload
    event_variants.append({"type": "object", "required": ["event"],
                           "properties": {"event": {"const": name}, "expected_version": I,
                                          "payload": ref("Payload_" + name)}})
schemas["EventRequest"] = {"oneOf": event_variants}

# --- routes ----------------------------------------------------------------------

def qp(name, schema=S, desc=None, required=False):
    p = {"name": name, "in": "query", "required": required, "schema": schema}
    if desc:
        p["description"] = desc
    return p


def pp(name, schema=S):
    return {"name": name, "in": "path", "required": True, "schema": schema}


ID = pp("id", I)
OPEN = []            # no security: open to all
routes = []


def route(method, path, summary, ok=200, answer=None, body=None, params=(), security=None,
          ctype="application/json", tag="api", csv=False, body_types=None, answer_types=None):
    routes.append((method, path, summary, ok, answer, body, list(params), security, ctype, tag,
                   csv, body_types, answer_types))





route("get", "/healthz", "Liveness; with ready=1 readiness (the database answers)",
      answer=ref("Health"), params=[qp("ready", S)], security=OPEN, tag="operations")
route("get", "/metrics", "Prometheus metrics", answer=S, security=OPEN,
      ctype="text/plain", tag="operations")
route("get", "/v1/openapi.json", "This document", answer={"type": "object"}, security=OPEN,
      tag="operations")
route("post", "/v1/sessions", "Sign in with a name and a password; sets the session cookie",
      ok=201, answer=ref("Me"), body=obj(["name", "password"], name=S, password=S),
      security=OPEN, tag="sessions")
route("delete", "/v1/sessions/current", "Sign out (the session is revoked)", answer=obj(),
      tag="sessions")
route("get", "/v1/me", "The caller", answer=ref("Me"), tag="sessions")
route("put", "/v1/me/password", "Set one's own password", answer=ref("Me"),
      body=obj(["current", "new"], current=S, new=S), tag="sessions")
route("put", "/v1/me/language", "The console's language for the caller", answer=ref("Me"),
      body=obj(["lang"], lang={"enum": ["zh", "en"]}), tag="sessions")
route("get", "/v1/lifecycle", "The lifecycle table the daemon runs", answer=ref("Lifecycle"))
route("get", "/v1/tasks", "What waits for the caller, most urgent first", answer=ref("Tasks"),
      params=[qp("state", STATE), qp("agency"), qp("overdue", {"enum": ["true", "false"]}),
              qp("limit", I), qp("after")])
route("get", "/v1/users", "Users in the admin's scope", answer=page(ref("User")), tag="users")
route("post", "/v1/users", "Create a user: its token and a one-time password, shown once",
      ok=201, answer=obj(["token", "one_time_password"], token=S, one_time_password=S,
                         user=ref("User")),
      body=obj(["name", "roles", "agency"], name=S, roles=arr(S), agency=S), tag="users")
for act, what in (("password", "A new one-time password (the user's sessions end)"),
                  ("disable", "Refuse the user at once: sessions and token"),
                  ("enable", "Admit the user again")):
    route("post", f"/v1/users/{{name}}/{act}", what, answer={"type": "object"},
          params=[pp("name")], tag="users")
route("get", "/v1/agencies", "The agency tree in the caller's scope", answer=page(ref("Agency")),
      tag="registry")
route("post", "/v1/agencies", "Add an agency", ok=201, answer=ref("Agency"),
      body=obj(["code", "name", "level"], code=S, name=S, level=S, parent=S, lang=S, profile=S,
               region={"enum": ["pearl_river_delta", "east_west_north"]}),
      tag="registry")
route("get", "/v1/agencies/{code}", "One agency", answer=ref("Agency"), params=[pp("code")],
      tag="registry")
route("get", "/v1/calendar", "The calendar's years, loaded and missing (admin)",
      answer=page(ref("CalendarYear")), tag="registry")
route("put", "/v1/agencies/{code}/budgets/{year}", "Set an agency's funds for a year",
      answer=ref("Budget"), body={"type": "object"}, params=[pp("code"), pp("year", I)],
      tag="registry")
route("get", "/v1/agencies/{code}/budgets/{year}", "An agency's funds and the 2 % cap",
      answer=ref("Budget"), params=[pp("code"), pp("year", I)], tag="registry")
route("put", "/v1/agencies/{code}/dibao-spending/{year}",
      "Record an agency's minimum-living-allowance spending of a year (finance)",
      answer=ref("DibaoSpending"), body=obj(["spending_fen"], spending_fen=FEN),
      params=[pp("code"), pp("year", I)], tag="reports")
route("get", "/v1/agencies/{code}/dibao-spending/{year}", "An agency's dibao spending of a year",
      answer=ref("DibaoSpending"), params=[pp("code"), pp("year", I)], tag="reports")
route("get", "/v1/agencies/{code}/funding-plan/{year}",
      "Next year's funding need: contracts running into the year, positions to keep, projects "
      "approved, by funding source and against the cap; the plan's state and history",
      answer=ref("FundingPlan"), params=[pp("code"), pp("year", I)], tag="reports")
route("post", "/v1/agencies/{code}/funding-plan/{year}/events",
      "Report the plan (officer), confirm or return it (finance at the agency's level)",
      answer=ref("FundingPlan"),
      body=obj(["event"], event={"enum": ["report", "confirm", "return"]}, expected_version=I,
               payload=obj(reason=S, comment=S)),
      params=[pp("code"), pp("year", I)], tag="reports")
REPORT_ARGS = [qp("year", I, required=True), qp("agency", S, "default: the caller's agency"),
               qp("format", {"enum": ["json", "csv"]})]
route("get", "/v1/reports/staffing", "Staff required, under contract and short per county and "
      "township, with wages against their floors and funds against the cap",
      answer=ref("StaffingReport"), params=REPORT_ARGS, tag="reports", csv=True)
route("get", "/v1/reports/spending", "Spending by funding source, category, method and state",
      answer=ref("SpendingReport"), params=REPORT_ARGS, tag="reports", csv=True)
route("post", "/v1/catalog", "Add a catalogue item", ok=201, answer=ref("CatalogItem"),
      body=obj(["code", "name", "category"], code=S, name=S, category=S, level=S, approved=B,
               purchasable=B, restricted=B), tag="registry")
route("get", "/v1/catalog", "The catalogue", answer=page(ref("CatalogItem")), tag="registry")
route("put", "/v1/catalog/{code}", "Approve or change a catalogue item", answer=ref("CatalogItem"),
      body={"type": "object"}, params=[pp("code")], tag="registry")
route("post", "/v1/contractors", "Register a contractor", ok=201, answer=ref("Contractor"),
      body={"type": "object", "required": ["name", "kind", "credit_code"]}, tag="contractors")
route("get", "/v1/contractors", "Contractors by a part of the name or the credit code",
      answer=page(ref("Contractor")), params=[qp("q")], tag="contractors")
route("get", "/v1/contractors/{id}", "A contractor, its bans and evaluations",
      answer=ref("Contractor"), params=[ID], tag="contractors")
route("post", "/v1/projects", "A new project in draft", ok=201, answer=ref("Project"),
      body=obj(["agency", "fiscal_year", "title", "catalog_items", "budget_fen",
                "funding_source", "method", "quantity", "quality_standard", "service_start",
                "service_end"], agency=S, fiscal_year=I, title=S, catalog_items=arr(S),
               budget_fen=FEN, funding_source=S, method=METHOD, quantity=S, quality_standard=S,
               service_start=D, service_end=D, positions=arr(ref("Position"))), tag="projects")
route("get", "/v1/projects", "Projects in scope, keyset-paged", answer=page(ref("Project")),
      params=[qp("state", STATE), qp("agency"), qp("overdue"), qp("limit", I), qp("after")],
      tag="projects")
route("get", "/v1/projects/{id}", "A project", answer=ref("Project"), params=[ID], tag="projects")
route("post", "/v1/projects/{id}/events", "An event: the lifecycle moves (Idempotency-Key "
      "makes a retry answer the first answer)", answer=ref("Project"), body=ref("EventRequest"),
      params=[ID, {"name": "Idempotency-Key", "in": "header", "schema": S}], tag="projects")
route("get", "/v1/projects/{id}/events",
      "The audit history: all of it, or with limit a page after the sequence in after",
      answer=page(ref("HistoryEvent")), params=[ID, qp("limit", I), qp("after")], tag="projects")
route("get", "/v1/projects/{id}/verify", "The project's hash chain, checked now",
      answer=ref("Verify"), params=[ID], tag="projects")
route("post", "/v1/projects/{id}/bids", "A bid", ok=201, answer=ref("Bid"),
      body=obj(["contractor_id", "price_fen"], contractor_id=I, price_fen=FEN), params=[ID],
      tag="tendering")
route("post", "/v1/projects/{id}/documents", "Upload a document: the body is the file (with "
      "Content-Type and Content-Disposition: attachment; filename=…), or a form's part named "
      "file; kept 15 years", ok=201, answer=ref("Document"), body=BINARY,
      body_types=DOC_TYPES + ["multipart/form-data"],
      params=[ID, qp("kind", {"type": "string", "pattern": "^[a-z_]{1,40}$"},
                     "tender_documents, contract, acceptance_report, treasury_voucher, …"),
              {"name": "Content-Disposition", "in": "header", "schema": S}],
      tag="projects")
route("get", "/v1/projects/{id}/documents", "The project's documents",
      answer=page(ref("Document")), params=[ID], tag="projects")
route("get", "/v1/projects/{id}/documents/{doc}", "A document, streamed as it was uploaded",
      answer=BINARY, answer_types=DOC_TYPES, params=[ID, pp("doc", I)], tag="projects")
route("get", "/v1/projects/{id}/bids", "The project's bids", answer=page(ref("Bid")), params=[ID],
      tag="tendering")
route("post", "/v1/projects/{id}/bids/{bid}/scores", "An evaluator's score sheet", ok=201,
      answer=ref("Sheet"), body=obj(["scores"], scores={"type": "object"}),
      params=[ID, pp("bid", I)], tag="tendering")
route("get", "/v1/projects/{id}/ranking", "The ranking, quality first", answer=ref("Ranking"),
      params=[ID], tag="tendering")
route("get", "/v1/evaluations", "The year's published evaluations", answer=page(ref("Evaluation")),
      params=[qp("year", I, required=True), qp("limit", I), qp("after")], tag="tendering")
route("get", "/v1/deadlines", "Pending deadlines in scope", answer=page(ref("Deadline")),
      params=[qp("due_before", T), qp("project", I), qp("limit", I), qp("after")],
      tag="operations")
route("get", "/v1/notifications", "The outbox in scope", answer=page(ref("Notification")),
      params=[qp("status"), qp("project", I), qp("limit", I), qp("after")], tag="operations")
route("post", "/v1/notifications/{id}/resend", "Send a dead notification again (admin)",
      answer=obj(["id", "status"], id=I, status=S), params=[ID], tag="operations")
route("get", "/v1/incidents", "What needs a person", answer=page(ref("Incident")),
      params=[qp("all"), qp("limit", I), qp("after")], tag="operations")
route("post", "/v1/admin/clock", "Move the daemon's clock ([clock] adjustable only)",
      answer={"type": "object"}, body=obj(advance_seconds=I, set=T), tag="operations")
route("get", "/v1/public/projects", "The public register", answer=page(ref("PublicListItem")),
      params=[qp("agency"), qp("state", STATE), qp("year", I), qp("limit", I), qp("after")],
      security=OPEN, tag="public")
route("get", "/v1/public/projects/{id}", "A project as the public sees it",
      answer=ref("PublicProject"), params=[ID], security=OPEN, tag="public")
route("get", "/v1/public/projects/{id}/documents/{doc}",
      "A public document (tender documents, the signed contract) as it was uploaded",
      answer=BINARY, answer_types=DOC_TYPES, params=[ID, pp("doc", I)], security=OPEN,
      tag="public")
route("get", "/v1/public/evaluations", "The year's published evaluations",
      answer=page(ref("Evaluation")),
      params=[qp("year", I, required=True), qp("limit", I), qp("after")], security=OPEN,
      tag="public")
route("get", "/v1/ocds/releases", "OCDS releases after a time, in order",
      answer=ref("ReleasePackage"), params=[qp("since", T), qp("after"), qp("limit", I)],
      security=OPEN, tag="public")
route("get", "/v1/ocds/releases/{ocid}", "One contracting process's OCDS releases",
      answer=ref("ReleasePackage"), params=[pp("ocid")], security=OPEN, tag="public")
route("get", "/v1/ocds/records/{ocid}", "One contracting process's OCDS record",
      answer=ref("RecordPackage"), params=[pp("ocid")], security=OPEN, tag="public")

ERRORS = {"400": "the request is malformed (error.details.field names the part)",
          "401": "no valid token or session", "403": "not allowed (role, CSRF, password change)",
          "404": "no such resource, or outside the caller's scope",
          "409": "the state or version does not allow it", "413": "the body is too large",
          "415": "a document of a type not kept, or whose bytes are not its declared type",
          "422": "a rule refuses it (error.details.rule and its figures)",
          "429": "too many requests or sign-in failures (Retry-After)",
          "500": "an internal error (logged with its cause)",
          "503": "the database is unavailable (error.details.outcome)"}

paths = {}
for (method, path, summary, ok, answer, body, params, security, ctype, tag, csv, body_types,
     answer_types) in routes:
    op = {"summary": summary, "operationId": (method + re.sub(r"[^A-Za-z0-9]+", "_", path)).rstrip("_"),
          "tags": [tag], "responses": {}}
    if params:
        op["parameters"] = params
    if security is not None:
        op["security"] = security
    if body is not None:
        op["requestBody"] = {"required": True, "content": {t: {"schema": body}
                                                           for t in body_types or [
                                                               "application/json"]}}
    op["responses"][str(ok)] = {"description": "OK" if ok == 200 else "Created",
                                "content": {t: {"schema": answer or {}}
                                            for t in answer_types or [ctype]}}
    if csv:	# Accept: text/csv or ?format=csv: UTF-8 with a BOM, amounts in yuan
        op["responses"][str(ok)]["content"]["text/csv"] = {"schema": S}
    if security == OPEN and path.startswith("/v1/"):
        op["responses"]["304"] = {"description": "not modified (If-None-Match)"}
    for code, what in ERRORS.items():
        op["responses"][code] = {"$ref": f"#/components/responses/E{code}"}
    if path == "/healthz":	# not ready: the same shape, saying why
        op["responses"]["503"] = {"description": "not ready (with ready=1)",
                                  "content": {"application/json": {"schema": ref("Health")}}}
    paths.setdefault(path, {})[method] = op

doc = {
    "openapi": "3.1.0",
    "info": {"title": "procurd", "version": "1.0.0",
             "summary": "Government purchase of services: the lifecycle of a project, from "
                        "needs review to year-end evaluation, and what the law makes public.",
             "license": {"name": "Proprietary", "identifier": "LicenseRef-procurd"}},
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}, {"session": []}],
    "tags": [{"name": t, "description": d} for t, d in (
        ("api", "The lifecycle and what waits for whom"), ("sessions", "Signing in"),
        ("users", "User administration"), ("registry", "Agencies, budgets, catalogue, calendar"),
        ("contractors", "Contractors"), ("projects", "Projects and their history"),
        ("tendering", "Bids, score sheets, ranking, evaluations"),
        ("operations", "Deadlines, notifications, incidents, health"),
        ("public", "Open to all: the public register and OCDS"),
        ("reports", "What bureaus report upward: staffing, spending, funding plans"))],
    "paths": paths,
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "a user's token (procurctl user add)"},
            "session": {"type": "apiKey", "in": "cookie", "name": "procurd_session",
                        "description": "a console session (POST /v1/sessions); a state-changing "
                                       "request also carries X-CSRF-Token"}},
        "schemas": schemas,
        "responses": {f"E{code}": {"description": what, "content": {"application/json": {
            "schema": ref("Error")}}} for code, what in ERRORS.items()},
    },
}
with open(OUT, "w", encoding="utf-8") as f:
    json.dump(doc, f, ensure_ascii=False, indent=1)
    f.write("\n")
