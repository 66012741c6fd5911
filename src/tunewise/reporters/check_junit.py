"""`check --format junit`: JUnit XML, one testcase per profile (waived profiles are skipped).

The suite's totals come first in the XML, so testcases are spooled until the end."""

from __future__ import annotations

import shutil
import tempfile
from typing import TextIO
from xml.sax.saxutils import escape, quoteattr

from tunewise.check import FileResult, Summary


class Reporter:
    def __init__(self, stream: TextIO, strict: bool) -> None:
        self.stream, self.strict = stream, strict
        self.cases = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+", encoding="utf-8")  # noqa: SIM115 (closed in finish)
        self.failures = 0

    def add(self, item: FileResult) -> None:
        body = escape("\n".join(f"{f.level}: {f.message}" for f in item.findings) or item.status)
        first = item.findings[0].message if item.findings else item.status
        notes = "\n".join(item.notes)
        inner = ""
        if item.status == "error":
            inner = (
                f'      <error message={quoteattr(first)} type="invalid-profile">{body}</error>\n'
            )
        elif item.failing(self.strict):
            self.failures += 1
            inner = f'      <failure message={quoteattr(first)} type="tunewise">{body}</failure>\n'
        elif item.status == "waived":
            inner = f"      <skipped message={quoteattr('waived: ' + notes)}>{body}</skipped>\n"
        if notes:
            inner += f"      <system-out>{escape(notes)}</system-out>\n"
        name = quoteattr(item.path)
        if inner:
            self.cases.write(
                f'    <testcase classname="tunewise.check" name={name}>\n{inner}    </testcase>\n'
            )
        else:
            self.cases.write(f'    <testcase classname="tunewise.check" name={name} />\n')

    def finish(self, summary: Summary) -> None:
        counts = (
            f'tests="{summary.total}" failures="{self.failures}" '
            f'errors="{summary.count("error")}" skipped="{summary.count("waived")}"'
        )
        self.stream.write(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="tunewise" {counts}>\n'
            f'  <testsuite name="tunewise" {counts}>\n'
        )
        self.cases.seek(0)
        shutil.copyfileobj(self.cases, self.stream)
        self.cases.close()
        self.stream.write("  </testsuite>\n</testsuites>\n")
