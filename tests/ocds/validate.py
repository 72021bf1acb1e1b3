#!/usr/bin/python3
"""Validate what procurd publishes as OCDS against the official 1.1.5
schemas (tests/ocds/schema: ../shared/ocds copied unchanged, so that a
checkout tests alone; checked still identical when ../shared is there;
JSON Schema draft 4, Debian's python3-jsonschema),
their ids mapped to the local files so nothing is fetched; every value of a
closed codelist against its CSV; the record's compiled and versioned
releases against OCDS's merge rules, implemented here on their own; and the
story each scenario must tell. Called by it_public:

    validate.py BASE_URL OCDS_DIR < facts.json

Exits non-zero with the reasons on a failure; prints what it checked."""
import csv
import json
import os
import sys
import urllib.error
import urllib.request
import warnings
from decimal import Decimal

import jsonschema

warnings.filterwarnings("ignore", category=DeprecationWarning)	# RefResolver, newer jsonschema

BASE, DIR = sys.argv[1], sys.argv[2]
FACTS = json.load(sys.stdin)
PREFIX = FACTS["prefix"]
problems = []
checked = {"packages": 0, "releases": 0, "records": 0}


def schema(name):
    with open(os.path.join(DIR, name), encoding="utf-8") as f:
        return json.load(f)


# the copy is the shared reference, unchanged
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "ocds")
if os.path.isdir(SHARED):
    for root, _, files in os.walk(SHARED):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), SHARED)
            with open(os.path.join(root, name), "rb") as a, open(os.path.join(DIR, rel), "rb") as b:
                if a.read() != b.read():
                    problems.append(f"tests/ocds/schema/{rel} differs from ../shared/ocds/{rel}")

SCHEMAS = {n: schema(n) for n in ("release-package-schema.json", "record-package-schema.json",
                                  "release-schema.json", "versioned-release-validation-schema.json")}
STORE = {s["id"]: s for s in SCHEMAS.values()}


def validator(name):
    s = SCHEMAS[name]
    resolver = jsonschema.RefResolver(base_uri=s["id"], referrer=s, store=STORE)
    return jsonschema.Draft4Validator(s, resolver=resolver)


RELEASE_PACKAGE = validator("release-package-schema.json")
RECORD_PACKAGE = validator("record-package-schema.json")


def codes(name):
    with open(os.path.join(DIR, "codelists", name + ".csv"), encoding="utf-8") as f:
        return {row["Code"] for row in csv.DictReader(f)}


def get(path):
    with urllib.request.urlopen(BASE + path) as r:
        text = r.read().decode("utf-8")
    return json.loads(text), json.loads(text, parse_float=Decimal), text


def schema_errors(v, doc, what):
    for e in sorted(v.iter_errors(doc), key=str)[:5]:
        problems.append(f"{what}: {'/'.join(map(str, e.absolute_path))}: {e.message}")


def check_codelists(r, what):
    def one(value, codelist, where):
        if value is not None and value not in codes(codelist):
            problems.append(f"{what}: {where} = {value!r} is not in {codelist}.csv")
    for t in r.get("tag", []):
        one(t, "releaseTag", "tag")
    one(r.get("initiationType"), "initiationType", "initiationType")
    t = r.get("tender", {})
    one(t.get("status"), "tenderStatus", "tender.status")
    one(t.get("procurementMethod"), "method", "tender.procurementMethod")
    one(t.get("mainProcurementCategory"), "procurementCategory", "tender.mainProcurementCategory")
    one(t.get("awardCriteria"), "awardCriteria", "tender.awardCriteria")
    for s in t.get("submissionMethod", []):
        one(s, "submissionMethod", "tender.submissionMethod")
    for a in r.get("awards", []):
        one(a.get("status"), "awardStatus", "awards.status")
    for c in r.get("contracts", []):
        one(c.get("status"), "contractStatus", "contracts.status")
    for p in r.get("parties", []):
        for role in p.get("roles", []):
            one(role, "partyRole", "parties.roles")
    for rp in r.get("relatedProcesses", []):
        for rel in rp.get("relationship", []):
            one(rel, "relatedProcess", "relatedProcesses.relationship")


def amounts_exact(node, what):
    """Every amount in yuan with at most two decimals: exact from fen."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "amount" and isinstance(v, Decimal) and (v * 100) % 1 != 0:
                problems.append(f"{what}: amount {v} is not whole fen")
            amounts_exact(v, what)
    elif isinstance(node, list):
        for v in node:
            amounts_exact(v, what)


# --- OCDS's merge rules, on their own -------------------------------------------

def by_id(value):
    return isinstance(value, list) and value and all(isinstance(x, dict) and "id" in x for x in value)


def child(dst, k):
    """DST[K] as an object, made when it is not one."""
    if not isinstance(dst.get(k), dict):
        dst[k] = {}
    return dst[k]


def member_for(dst, k, x):
    """The member of the array DST[K] with X's id, appended empty if none."""
    if not isinstance(dst.get(k), list):
        dst[k] = []
    m = next((y for y in dst[k] if y.get("id") == x["id"]), None)
    if m is None:
        m = {}
        dst[k].append(m)
    return m


def merge(dst, src, top):
    for k, v in src.items():
        if top and k in ("id", "date", "tag"):
            continue
        if v is None:
            dst.pop(k, None)
        elif isinstance(v, dict):
            merge(child(dst, k), v, False)
        elif by_id(v):
            for x in v:
                merge(member_for(dst, k, x), x, False)
        else:
            dst[k] = json.loads(json.dumps(v))


def compiled(releases):
    out = {}
    rs = sorted(releases, key=lambda r: r["date"])
    for r in rs:
        merge(out, r, True)
    out["id"] = f"{rs[-1]['ocid']}-{rs[-1]['date']}"
    out["date"] = rs[-1]["date"]
    out["tag"] = ["compiled"]
    return out


def version(dst, src, meta, member, top):
    for k, v in src.items():
        if top and k in ("id", "date", "tag", "ocid"):
            continue
        if member and k == "id":
            dst.setdefault("id", v)
            continue
        if isinstance(v, dict):
            version(child(dst, k), v, meta, False, False)
        elif by_id(v):
            for x in v:
                version(member_for(dst, k, x), x, meta, True, False)
        else:
            vs = dst.setdefault(k, []) if v is not None or k in dst else None
            if vs is None or (vs and vs[-1]["value"] == v):
                continue
            vs.append(dict(meta, value=v))


def versioned(releases):
    out = {}
    for r in sorted(releases, key=lambda r: r["date"]):
        out["ocid"] = r["ocid"]
        version(out, r, {"releaseID": r["id"], "releaseDate": r["date"], "releaseTag": r["tag"]},
                False, True)
    return out


# --- the feed, paged ---------------------------------------------------------------

feed, path, pages = [], "/v1/ocds/releases?limit=4", 0
while path:
    pkg, exact, text = get(path)
    pages += 1
    checked["packages"] += 1
    schema_errors(RELEASE_PACKAGE, pkg, f"feed page {pages}")
    amounts_exact(exact, f"feed page {pages}")
    feed.extend(pkg["releases"])
    nxt = pkg.get("links", {}).get("next")
    path = nxt[len(BASE):] if nxt else None
ids = [r["id"] for r in feed]
if len(ids) != len(set(ids)):
    problems.append("the feed repeats a release")
for r in feed:
    check_codelists(r, r["id"])
checked["releases"] += len(feed)

# --- each process: its releases and its record ---------------------------------------

FORBIDDEN = ("coordinator@example.org", "GK-", "voucher", "takeover_plan", "staff left",
             "needs met otherwise", '"OCD-officer"', '"OCD-finance"', '"OCD-reviewer"',
             "OCD-evaluator", "OCD-admin")
stories = {}
for name in ("full", "failed", "cancelled", "exited", "successor"):
    ocid = f"{PREFIX}-{FACTS[name]}"
    pkg, exact, text = get(f"/v1/ocds/releases/{ocid}")
    checked["packages"] += 1
    schema_errors(RELEASE_PACKAGE, pkg, f"{name} releases")
    amounts_exact(exact, f"{name} releases")
    for bad in FORBIDDEN:
        if bad in text:
            problems.append(f"{name}: OCDS shows {bad!r}")
    rels = pkg["releases"]
    for r in rels:
        check_codelists(r, r["id"])
        if r["ocid"] != ocid:
            problems.append(f"{name}: release {r['id']} has ocid {r['ocid']}")
    in_feed = [r for r in feed if r["ocid"] == ocid]
    if [r["id"] for r in in_feed] != [r["id"] for r in rels]:
        problems.append(f"{name}: the feed's releases differ from the process's")
    rec, rexact, rtext = get(f"/v1/ocds/records/{ocid}")
    checked["records"] += 1
    schema_errors(RECORD_PACKAGE, rec, f"{name} record")
    record = rec["records"][0]
    if json.dumps(record["compiledRelease"], sort_keys=True) != json.dumps(compiled(rels), sort_keys=True):
        problems.append(f"{name}: compiledRelease differs from the merge of its releases:\n"
                        f"  procurd: {json.dumps(record['compiledRelease'], sort_keys=True)[:600]}\n"
                        f"  merge:   {json.dumps(compiled(rels), sort_keys=True)[:600]}")
    if json.dumps(record["versionedRelease"], sort_keys=True) != json.dumps(versioned(rels), sort_keys=True):
        problems.append(f"{name}: versionedRelease differs from the merge of its releases")
    stories[name] = (rels, record["compiledRelease"])


def tags(name):
    return [t for r in stories[name][0] for t in r["tag"]]


def expect(cond, what):
    if not cond:
        problems.append(what)


rels, c = stories["full"]
expect(tags("full")[:2] == ["planning", "tender"], f"full: starts {tags('full')[:2]}")
for t in ("award", "contract", "implementation", "contractUpdate"):
    expect(t in tags("full"), f"full: no {t} release")
expect(c["tender"]["procurementMethod"] == "open" and c["tender"]["procurementMethodDetails"] == "公开招标",
       "full: method not open/公开招标")
expect(c["tender"]["mainProcurementCategory"] == "services", "full: not services")
expect(c["tender"]["numberOfTenderers"] == 3, "full: tenderers")
expect(c["awards"][0]["status"] == "active" and c["contracts"][0]["status"] == "terminated",
       "full: award/contract status")
tx = c["contracts"][0]["implementation"]["transactions"]
expect(len(tx) == 1 and tx[0]["value"]["amount"] == c["contracts"][0]["value"]["amount"],
       "full: the payment is not the contract's amount")
roles = {p["id"]: set(p["roles"]) for p in c["parties"]}
expect(any({"supplier", "tenderer", "payee"} <= r for r in roles.values()), "full: no supplier/payee")
expect(any("payer" in r for r in roles.values()), "full: no payer")
expect(any(p.get("identifier", {}).get("scheme") == "CN-SAIC" and len(p["identifier"]["id"]) == 18
           for p in c["parties"]), "full: no credit code identifier")

rels, c = stories["failed"]
expect(tags("failed").count("tenderAmendment") == 2, f"failed: amendments {tags('failed')}")
expect(sum(1 for r in rels if r.get("tender", {}).get("status") == "unsuccessful") == 2,
       "failed: two unsuccessful tenders")
expect(c["tender"]["procurementMethod"] == "limited" and c["tender"]["procurementMethodDetails"] == "竞争性磋商",
       "failed: the changed method")
expect(len(c["tender"]["amendments"]) == 2, "failed: compiled amendments")
expect("contract" in tags("failed"), "failed: no contract after the change")

expect(stories["cancelled"][1]["tender"]["status"] == "cancelled", "cancelled: not cancelled")
expect("tenderCancellation" in tags("cancelled"), "cancelled: no tenderCancellation")

rels, c = stories["exited"]
expect("contractTermination" in tags("exited"), "exited: no contractTermination")
succ = f"{PREFIX}-{FACTS['successor']}"
expect(any(rp["identifier"] == succ and rp["relationship"] == ["replacementProcess"]
           for rp in c.get("relatedProcesses", [])), "exited: no replacementProcess to the successor")
expect(c["contracts"][0]["status"] == "terminated", "exited: contract not terminated")
rels, c = stories["successor"]
expect(any(rp["identifier"] == f"{PREFIX}-{FACTS['exited']}" and rp["relationship"] == ["prior"]
           for rp in c.get("relatedProcesses", [])), "successor: no prior process")

# --- procurctl ocds export: the same releases, as a package and as lines ----------------

if "export" in FACTS:
    with open(FACTS["export"], encoding="utf-8") as f:
        text = f.read()
    pkg = json.loads(text)
    checked["packages"] += 1
    schema_errors(RELEASE_PACKAGE, pkg, "export")
    amounts_exact(json.loads(text, parse_float=Decimal), "export")
    with open(FACTS["export_lines"], encoding="utf-8") as f:
        lines = [json.loads(line) for line in f]
    feed_ids = sorted(r["id"] for r in feed)
    expect(sorted(r["id"] for r in pkg["releases"]) == feed_ids, "export: not the feed's releases")
    expect(sorted(r["id"] for r in lines) == feed_ids, "export --lines: not the feed's releases")
    expect(all(r == next(x for x in feed if x["id"] == r["id"]) for r in lines),
           "export --lines: a release differs from the feed's")

print(f"validate.py: {checked['packages']} packages ({pages} feed pages), {checked['releases']} "
      f"releases, {checked['records']} records checked against OCDS 1.1.5", file=sys.stderr)
if problems:
    print("\n".join(problems[:40]), file=sys.stderr)
    sys.exit(1)
