#!/usr/bin/env python3
"""Prints the AppHost and resource log lines written while each failed test ran.

./test.sh keeps resource logs out of the console (they go to Dean.Tests/TestResults/apphost-*.log); when a test fails,
this reads the run's TRX report for the failed tests' start and end times and prints the lines of the log files that
fall in that window, so the failure's context is on the console without the other tests' noise.

usage: failed-test-logs.py RESULTS.trx LOG...
"""
import re
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

MAX_LINES = 400
STAMP = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) ")


def seconds_of_day(moment):
    moment = moment.astimezone(timezone.utc)
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6


def parse_time(text):
    # TRX times carry 7 fractional digits and an offset: 2026-12-03T17:38:40.1234567+00:00
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    return datetime.fromisoformat(text)


def entries(path):
    """(second of day, text) per log entry; lines without a time stamp (stack traces) belong to the entry above."""
    current = None
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            match = STAMP.match(line)
            if match:
                if current:
                    yield current
                h, m, s, ms = (int(g) for g in match.groups())
                current = (h * 3600 + m * 60 + s + ms / 1000, line.rstrip("\n"))
            elif current:
                current = (current[0], current[1] + "\n" + line.rstrip("\n"))
    if current:
        yield current


def main(trx, logs):
    ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
    failed = [r for r in ET.parse(trx).getroot().iterfind(".//t:UnitTestResult", ns) if r.get("outcome") == "Failed"]
    for result in failed:
        start = seconds_of_day(parse_time(result.get("startTime")) - timedelta(seconds=2))
        end = seconds_of_day(parse_time(result.get("endTime")) + timedelta(seconds=1))
        lines = [text for log in logs for at, text in entries(log) if start <= at <= end]
        print(f"\n==> resource logs while {result.get('testName')} ran ({len(lines)} entries{', the last ' + str(MAX_LINES) if len(lines) > MAX_LINES else ''})")
        for text in lines[-MAX_LINES:]:
            print(text)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
