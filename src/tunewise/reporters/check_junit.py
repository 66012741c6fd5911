"""`check --format junit`: JUnit XML, one testcase per profile (waived profiles are skipped).

Every text from an input goes through `escaping.xml_text`, so the XML is always well-formed.
The suite's totals come first in the XML, so testcases are spooled until the end."""

from __future__ import annotations

import shutil
import tempfile
import time
from typing import TextIO

from tunewise.escaping import xml_attribute, xml_text
from tunewise.gate.judge import FileResult, Summary
from tunewise.reporters.check_text import by_position, location


class Reporter:
    def __init__(self, stream: TextIO, strict: bool, quiet: bool = False) -> None:
        self.stream, self.strict = stream, strict
        self.cases = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+", encoding="utf-8")  # noqa: SIM115 (closed in finish)
        self.failures = 0
        self.started = time.perf_counter()

    def add(self, item: FileResult) -> None:
        body = "\n".join(
            xml_text(f"{location(f)}: {f.level}: {f.text} [{f.rule}]")
            for f in by_position(item.findings)
        ) or xml_text(item.status)
        first = xml_attribute(item.findings[0].text if item.findings else item.status)
        notes = "\n".join(xml_text(note) for note in item.notes)
        inner = ""
        if item.status == "error":
            # the error's kind: an invalid profile, an unreadable folder, a gap in the rules
            rule = item.findings[0].rule if item.findings else None
            kind = xml_attribute(rule or "invalid-profile")
            inner = f"      <error message={first} type={kind}>{body}</error>\n"
        elif item.failing(self.strict):
            self.failures += 1
            inner = f'      <failure message={first} type="tunewise">{body}</failure>\n'
        elif item.status == "waived":
            message = xml_attribute("waived: " + "; ".join(item.notes))
            inner = f"      <skipped message={message}>{body}</skipped>\n"
        if notes:
            inner += f"      <system-out>{notes}</system-out>\n"
        path = xml_attribute(item.path)
        seconds = f"{item.seconds:.3f}" if item.seconds is not None else "0"
        head = f'    <testcase classname="tunewise.check" name={path} file={path} time="{seconds}"'
        self.cases.write(f"{head}>\n{inner}    </testcase>\n" if inner else f"{head} />\n")

    def finish(self, summary: Summary) -> None:
        counts = (
            f'tests="{summary.total}" failures="{self.failures}" '
            f'errors="{summary.count("error")}" skipped="{summary.count("waived")}" '
            f'time="{time.perf_counter() - self.started:.3f}"'
        )
        self.stream.write(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="tunewise" {counts}>\n'
            f'  <testsuite name="tunewise" {counts}>\n'
        )
        self.cases.seek(0)
        shutil.copyfileobj(self.cases, self.stream)
        self.cases.close()
        self.stream.write("  </testsuite>\n</testsuites>\n")
