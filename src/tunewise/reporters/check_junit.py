"""`check --format junit`: JUnit XML, one testcase per profile (waived profiles are skipped)."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from tunewise.check import CheckReport


def render(report: CheckReport, **_: Any) -> str:
    failures = sum(1 for f in report.files if f.failing(report.strict) and f.status != "error")
    errors = report.count("error")
    suite_attrs = {
        "name": "tunewise",
        "tests": str(len(report.files)),
        "failures": str(failures),
        "errors": str(errors),
        "skipped": str(report.count("waived")),
    }
    root = ET.Element("testsuites", suite_attrs)
    suite = ET.SubElement(root, "testsuite", suite_attrs)
    for item in report.files:
        case = ET.SubElement(suite, "testcase", {"classname": "tunewise.check", "name": item.path})
        body = "\n".join(f"{f.level}: {f.message}" for f in item.findings) or item.status
        notes = "\n".join(item.notes)
        if item.status == "error":
            first = item.findings[0].message if item.findings else "invalid profile"
            ET.SubElement(case, "error", {"message": first, "type": "invalid-profile"}).text = body
        elif item.failing(report.strict):
            first = next((f.message for f in item.findings), "failed")
            ET.SubElement(case, "failure", {"message": first, "type": "tunewise"}).text = body
        elif item.status == "waived":
            ET.SubElement(case, "skipped", {"message": f"waived: {notes}"}).text = body
        if notes:
            ET.SubElement(case, "system-out").text = notes
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
