"""Reads a JUnit XML file with junitparser (an independent reader, from PyPI) and prints what it saw as
JSON; also checks each <testsuite> against the structure of Surefire's surefire-test-report-3.0.xsd
(allowed attributes, required ones, and the order of a testcase's children)."""
import json
import re
import sys
import xml.etree.ElementTree as ET

from junitparser import Error, Failure, Skipped
from junitparser.xunit2 import JUnitXml

path = sys.argv[1]
xml = JUnitXml.fromfile(path)
suites = []
for suite in xml:
    cases = []
    for case in suite:
        results = [{"kind": type(r).__name__.lower(), "message": r.message, "type": r.type} for r in case.result]
        cases.append({
            "name": case.name,
            "classname": case.classname,
            "time": case.time,
            "results": results,
            "flakyFailures": len(case.flaky_failures()),
            "flakyErrors": len(case.flaky_errors()),
            "rerunFailures": len(case.rerun_failures()),
            "rerunErrors": len(case.rerun_errors()),
            "failed": any(isinstance(r, Failure) for r in case.result),
            "errored": any(isinstance(r, Error) for r in case.result),
            "skipped": any(isinstance(r, Skipped) for r in case.result),
        })
    suites.append({"name": suite.name, "tests": suite.tests, "failures": suite.failures, "errors": suite.errors, "skipped": suite.skipped, "cases": cases})

# Surefire's schema, as structure: one testsuite per document there; here each child of <testsuites>.
ORDER = ["failure", "rerunFailure", "flakyFailure", "skipped", "error", "rerunError", "flakyError", "system-out", "system-err"]
ONCE = {"skipped", "error", "system-out", "system-err"}
SUITE_ATTRS = {"version", "name", "time", "tests", "errors", "skipped", "failures", "group"}
SUITE_REQUIRED = {"name", "tests", "errors", "skipped", "failures"}
CASE_ATTRS = {"name", "classname", "group", "time"}
problems = []
root = ET.parse(path).getroot()
for ts in root.findall("testsuite"):
    where = ts.get("name")
    extra = set(ts.attrib) - SUITE_ATTRS
    if extra:
        problems.append(f"testsuite {where}: attributes Surefire's schema lacks: {sorted(extra)}")
    if SUITE_REQUIRED - set(ts.attrib):
        problems.append(f"testsuite {where}: missing {sorted(SUITE_REQUIRED - set(ts.attrib))}")
    kids = [c.tag for c in ts]
    order = [0 if t == "properties" else 1 if t == "testcase" else -1 for t in kids]
    if -1 in order or order != sorted(order):
        problems.append(f"testsuite {where}: children out of Surefire's order: {kids}")
    for tc in ts.findall("testcase"):
        extra = set(tc.attrib) - CASE_ATTRS
        if extra or "name" not in tc.attrib or "time" not in tc.attrib:
            problems.append(f"testcase {tc.get('name')}: attributes {sorted(tc.attrib)}")
        tags = [c.tag for c in tc]
        idx = [ORDER.index(t) if t in ORDER else -1 for t in tags]
        if -1 in idx or idx != sorted(idx):
            problems.append(f"testcase {tc.get('name')}: children out of Surefire's order: {tags}")
        for t in ONCE:
            if tags.count(t) > 1:
                problems.append(f"testcase {tc.get('name')}: more than one <{t}>")
        for c in tc:
            if c.tag in ("rerunFailure", "flakyFailure", "rerunError", "flakyError"):
                if c.find("stackTrace") is None or "type" not in c.attrib:
                    problems.append(f"testcase {tc.get('name')}: <{c.tag}> without stackTrace or type")
            if c.tag in ("failure", "error") and "type" not in c.attrib:
                problems.append(f"testcase {tc.get('name')}: <{c.tag}> without type")
        t = tc.get("time", "")
        if not re.fullmatch(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]{0,3})?", t):
            problems.append(f"testcase {tc.get('name')}: time {t!r} is not SUREFIRE_TIME")

print(json.dumps({"suites": suites, "surefireProblems": problems}))
