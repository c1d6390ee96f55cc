"""The checks of .ci/validate: cbcheck's machine outputs through the reference
validator of each format's ecosystem, one PASS or FAIL line per check.

    SARIF        SARIF Multitool `validate --rule-kind "Sarif;Gh"`: 0 errors, 0 warnings
    JUnit XML    junitparser: parses; tests, failures (drift) and errors (failed apps)
                 match the JSON report of the same run, suite by suite and case by case;
                 for a run that stopped before checking, a failing testcase per error
                 in a file and an erroring one per error of the run, as in the JSON
    JSON         check-jsonschema against schemas/report.schema.json (verify) and
                 schemas/lint.schema.json (lint, *.lint.json); each verify report's
                 status agrees with its apps and diagnostics; apply's outcome documents
                 (applied/*.json) against schemas/apply.schema.json, their summaries
                 counting their apps, no secret shown
    JSON plans   check-jsonschema against schemas/plan.schema.json; each plan's calls
                 are the remediations of verify's JSON report of the same files
    schemas      check-jsonschema --check-metaschema; every callbacks file validates
    Prometheus   prometheus-client's text-format parser: every family docs/audit.md lists,
                 no series written twice,
                 no timestamps, no URL in a label, samples agreeing with the JSON report,
                 a _success.prom beside it exactly when the run completed (exit 0 or 1)
    Markdown     markdown-it-py, GFM-like: every table-looking block is a table whose
                 rows are the JSON report's apps that are not plainly in sync, worst
                 first, as many as fit GitHub's 65,536 characters (a last line counts
                 the others); for a run that stopped, its diagnostics; no raw HTML but
                 comments

Runs with the virtual environment's Python that .ci/validate installs.
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from junitparser import Error, Failure, JUnitXml
from markdown_it import MarkdownIt
from prometheus_client.parser import text_string_to_metric_families


class Checks:
    def __init__(self):
        self.count = 0
        self.failed = 0

    def record(self, ok, what, details=()):
        self.count += 1
        print(f"validate: {'PASS' if ok else 'FAIL'}  {what}")
        if not ok:
            self.failed += 1
            for line in details:
                print(f"    {line}")


def tool(*command):
    """A validator's exit code and everything it printed."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return done.returncode, (done.stdout + done.stderr).splitlines()


def names(paths):
    return ", ".join(p.name for p in paths)


def validate_against(checks, check_jsonschema, schema, files, required=True):
    """Every file valid against the schema (and, when `required`, at least one file)."""
    code, said = tool(check_jsonschema, "--schemafile", str(schema), *map(str, files))
    checks.record(
        code == 0 and (bool(files) or not required),
        f"check-jsonschema {schema.name}: {names(files)}",
        said,
    )


def check_schemas(checks, check_jsonschema, schemas, callbacks_files, reports, lint_reports):
    schema_files = sorted(schemas.glob("*.json"))
    code, said = tool(check_jsonschema, "--check-metaschema", *map(str, schema_files))
    checks.record(
        code == 0 and bool(schema_files),
        f"check-jsonschema --check-metaschema: {names(schema_files)}",
        said,
    )
    validate_against(
        checks, check_jsonschema, schemas / "callbacks.schema.json", callbacks_files, required=False
    )
    validate_against(checks, check_jsonschema, schemas / "report.schema.json", reports)
    validate_against(checks, check_jsonschema, schemas / "lint.schema.json", lint_reports)


def stopped(report):
    """Whether the run stopped before checking any app (an invalid file, an unusable
    argument): its report then carries the diagnostics that say why."""
    return not report["apps"] and report["status"] in ("invalid", "failed")


def check_status(checks, report_path, report):
    """The status goes with the apps and diagnostics (and so with the exit code)."""
    statuses = {app["status"] for app in report["apps"]}
    errors = [d for d in report["diagnostics"] if d["severity"] == "error"]
    if "failed" in statuses:
        expected = "failed"
    elif errors:
        # Invalid app entries: the file's valid apps are listed, the run is invalid.
        expected = "invalid"
    elif not report["apps"]:
        expected = "in_sync"
    elif "drifted" in statuses:
        expected = "drifted"
    elif "pending" in statuses:
        expected = "pending"
    else:
        expected = "in_sync"
    located = all(
        (d["line"] is None) == (d["column"] is None) for d in report["diagnostics"]
    )
    checks.record(
        report["status"] == expected and located and (expected != "invalid" or errors),
        f"{report_path.name}: status {report['status']} agrees with its "
        f"{len(report['apps'])} apps and {len(errors)} error diagnostics",
        [f"expected status {expected}"] if report["status"] != expected else [],
    )


PROMETHEUS_FAMILIES = {
    "cbcheck_run_timestamp_seconds",
    "cbcheck_run_duration_seconds",
    "cbcheck_run_exit_code",
    "cbcheck_build_info",
    "cbcheck_file_valid",
    "cbcheck_apps",
    "cbcheck_app_info",
    "cbcheck_app_up",
    "cbcheck_app_in_sync",
    "cbcheck_app_findings",
}


def check_prometheus(checks, prom_path, report):
    """The textfile parses with the reference Python client's parser, every family
    docs/audit.md lists is there, and its samples agree with the JSON report of the run."""
    problems = []
    text = prom_path.read_text(encoding="utf-8")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    missing = PROMETHEUS_FAMILIES - families.keys()
    if missing:
        problems.append(f"missing families: {sorted(missing)}")
    series = set()
    for family in families.values():
        for sample in family.samples:
            identity = (sample.name, frozenset(sample.labels.items()))
            if identity in series:
                problems.append(f"{sample.name}{sample.labels} is written twice")
            series.add(identity)
            if sample.timestamp is not None:
                problems.append(f"{sample.name} has a timestamp (the collector skips the file)")
            if any("://" in value for value in sample.labels.values()):
                problems.append(f"{sample.name} has a URL in a label")
    if not missing:
        apps = report["apps"]
        kinds = len(families["cbcheck_app_findings"].samples) // max(len(apps), 1)
        if len(families["cbcheck_app_info"].samples) != len(apps):
            problems.append("cbcheck_app_info: not one series per app of the report")
        if apps and len(families["cbcheck_app_findings"].samples) != kinds * len(apps):
            problems.append("cbcheck_app_findings: not every kind for every app")
        up = sum(s.value for s in families["cbcheck_app_up"].samples)
        if up != sum(app["status"] != "failed" for app in apps):
            problems.append(f"cbcheck_app_up sums to {up}, not the apps that were read")
        in_sync = sum(s.value for s in families["cbcheck_app_in_sync"].samples)
        if in_sync != report["summary"]["in_sync"]:
            problems.append(f"cbcheck_app_in_sync sums to {in_sync}, not summary.in_sync")
        code = families["cbcheck_run_exit_code"].samples[0].value
        completed = report["status"] in ("in_sync", "pending", "drifted")
        if completed != (code in (0, 1)):
            problems.append(f"exit code {code} does not go with status {report['status']}")
        success = prom_path.with_name(prom_path.stem + "_success.prom")
        if success.exists() != (code in (0, 1)):
            problems.append(f"{success.name} exists: {success.exists()}, exit code {code}")
        elif success.exists():
            last = {
                f.name for f in text_string_to_metric_families(success.read_text(encoding="utf-8"))
            }
            if last != {"cbcheck_last_success_timestamp_seconds"}:
                problems.append(f"{success.name} holds {sorted(last)}")
    checks.record(
        not problems,
        f"prometheus_client parser {prom_path.name}: {len(families)} families, "
        "every listed one, no series twice, no timestamps, no URL labels, agrees with the JSON report",
        problems,
    )


def expected_stopped_cases(report):
    """(classname, outcome, type) per testcase of a stopped run, from its JSON report."""
    errors = [d for d in report["diagnostics"] if d["severity"] == "error"]
    cases = []
    for file in report["files"]:
        in_file = [d for d in errors if d["file"] == file]
        cases.extend((file, "failure", d["code"]) for d in in_file)
        if not in_file:
            cases.append((file, "passed", None))
    cases.extend(("cbcheck verify", "error", d["code"]) for d in errors if d["file"] is None)
    return cases


def sarif_message(result, rules):
    """A result of the validator's own log in words, as its console prints it."""
    message = result.get("message", {})
    text = message.get("text")
    if text is None:
        index = result.get("ruleIndex", -1)
        rule = rules[index] if 0 <= index < len(rules) else {}
        text = rule.get("messageStrings", {}).get(message.get("id"), {}).get("text", "")
        for i, argument in enumerate(message.get("arguments", [])):
            text = text.replace(f"{{{i}}}", argument)
    region = result.get("locations", [{}])[0].get("physicalLocation", {}).get("region", {})
    place = f"({region.get('startLine', '?')},{region.get('startColumn', '?')})"
    return f"{place}: {result.get('level', 'warning')} {result.get('ruleId')}: {text}"


def unexpected_notices(run):
    """What the validator says about its own run, but the one notice expected:
    .ci/sarif-multitool.xml turns off SARIF2006, which sends an HTTP request to
    every URI in the log."""
    for invocation in run.get("invocations", []):
        for kind in ("toolConfigurationNotifications", "toolExecutionNotifications"):
            for notice in invocation.get(kind, []):
                what = notice.get("descriptor", {}).get("id", "")
                text = notice.get("message", {}).get("text", "")
                if what == "WRN999.RuleExplicitlyDisabled" and "'SARIF2006'" in text:
                    continue
                yield f"{what}: {text}"


def check_sarif(checks, multitool, config, files):
    with tempfile.TemporaryDirectory() as scratch:
        log_path = Path(scratch) / "validation.sarif"
        code, said = tool(
            multitool,
            "validate",
            "--rule-kind",
            "Sarif;Gh",
            "--level",
            "Error;Warning;Note",
            "--config",
            str(config),
            "--output",
            str(log_path),
            *map(str, files),
        )
        log = json.loads(log_path.read_text(encoding="utf-8")) if log_path.exists() else None
    # The validator exits 0 whatever it finds: its log says what it found.
    scanned = re.search(r"Done\. (\d+) files? scanned", "\n".join(said))
    run = (log or {}).get("runs", [{}])[0]
    notices = list(unexpected_notices(run))
    ran = (
        code == 0
        and log is not None
        and all(i.get("executionSuccessful") for i in run.get("invocations", [{}]))
        and not notices
        and scanned is not None
        and int(scanned.group(1)) == len(files)
    )
    checks.record(
        ran,
        f'sarif-multitool validate --rule-kind "Sarif;Gh" ran over {len(files)} SARIF files '
        "(SARIF2006, URIs reachable over HTTP, off)",
        notices + said,
    )
    if not ran:
        return
    rules = run.get("tool", {}).get("driver", {}).get("rules", [])
    by_file = {path.resolve().as_uri(): [] for path in files}
    for result in run.get("results", []):
        uri = (
            result.get("locations", [{}])[0]
            .get("physicalLocation", {})
            .get("artifactLocation", {})
            .get("uri", "")
        )
        by_file.setdefault(uri, []).append(result)
    for uri, results in by_file.items():
        levels = [r.get("level", "warning") for r in results]
        errors, warnings = levels.count("error"), levels.count("warning")
        notes = len(levels) - errors - warnings
        name = uri.rsplit("/", 1)[-1]
        checks.record(
            errors == 0 and warnings == 0,
            f"sarif-multitool {name}: {errors} errors, {warnings} warnings, {notes} notes",
            [
                sarif_message(r, rules)
                for r in results
                if r.get("level", "warning") in ("error", "warning")
            ],
        )


def check_junit(checks, xml_path, report):
    problems = []
    try:
        xml = JUnitXml.fromfile(str(xml_path))
    except Exception as error:  # any parse failure is the finding
        checks.record(False, f"junitparser {xml_path.name}: parses", [repr(error)])
        return
    if not isinstance(xml, JUnitXml):
        checks.record(False, f"junitparser {xml_path.name}: the root is <testsuites>")
        return
    cases = []
    for suite in xml:
        suite_cases = list(suite)
        cases.extend(suite_cases)
        counted = (
            len(suite_cases),
            sum(c.is_failure for c in suite_cases),
            sum(c.is_error for c in suite_cases),
        )
        if (suite.tests, suite.failures, suite.errors) != counted:
            problems.append(
                f"suite {suite.name}: declares tests/failures/errors "
                f"{(suite.tests, suite.failures, suite.errors)}, holds {counted}"
            )
    declared = (xml.tests, xml.failures, xml.errors)
    counted = (
        len(cases),
        sum(c.is_failure for c in cases),
        sum(c.is_error for c in cases),
    )
    if stopped(report):
        wanted = expected_stopped_cases(report)
        expected = (
            len(wanted),
            sum(w[1] == "failure" for w in wanted),
            sum(w[1] == "error" for w in wanted),
        )
    else:
        # A file's errors (invalid app entries, beside the checked apps) are failures.
        invalid = sum(
            1 for d in report["diagnostics"] if d["severity"] == "error" and d["file"] is not None
        )
        summary = report["summary"]
        expected = (summary["apps"] + invalid, summary["drifted"] + invalid, summary["failed"])
    if declared != expected or counted != expected:
        problems.append(
            f"tests/failures/errors: declared {declared}, counted {counted}, JSON report {expected}"
        )
    apps = report["apps"]
    if stopped(report):
        found = []
        for case in cases:
            results = list(case.result)
            outcome = (
                "error" if any(isinstance(r, Error) for r in results)
                else "failure" if any(isinstance(r, Failure) for r in results)
                else "passed"
            )
            found.append((case.classname, outcome, results[0].type if results else None))
        if found != wanted:
            problems.append(f"testcases {found} are not the diagnostics {wanted}")
    elif len(cases) == len(apps):
        for case, app in zip(cases, apps, strict=True):
            kinds = {type(r) for r in case.result}
            outcome = "failed" if Error in kinds else "drifted" if Failure in kinds else "in_sync"
            # A pending change (`verify --base`) is a passing testcase.
            status = "in_sync" if app["status"] == "pending" else app["status"]
            if (
                case.classname != app["file"]
                or not case.name.endswith(f"({app['sdkappid']})")
                or outcome != status
            ):
                problems.append(
                    f"testcase {case.name!r} ({case.classname}, {outcome}) "
                    f"is not app {app['sdkappid']} ({app['file']}, {app['status']})"
                )
    checks.record(
        not problems,
        f"junitparser {xml_path.name}: {expected[0]} tests, {expected[1]} failures, "
        f"{expected[2]} errors, as in the JSON report",
        problems,
    )


def inline_text(token):
    """An inline token's text as a reader sees it: escapes and entities decoded."""
    return "".join(
        child.content
        for child in token.children or []
        if child.type in ("text", "text_special", "code_inline")
    )


def check_markdown(checks, md_path, report):
    text = md_path.read_text(encoding="utf-8")
    lines = text.split("\n")  # as the parser numbers them (splitlines breaks at more)
    tokens = MarkdownIt("gfm-like").parse(text)
    problems = []

    in_code = set()
    for token in tokens:
        if token.type in ("fence", "code_block") and token.map:
            in_code.update(range(*token.map))
    blocks = []
    for number, line in enumerate(lines):
        if line.startswith("|") and number not in in_code:
            if blocks and blocks[-1][1] == number:
                blocks[-1][1] = number + 1
            else:
                blocks.append([number, number + 1])
    tables = [t.map for t in tokens if t.type == "table_open"]
    for start, end in blocks:
        if [start, end] not in tables:
            problems.append(f"lines {start + 1}-{end} look like a table but are not one")
    if len(text) >= 65536:
        problems.append(f"{len(text)} characters: GitHub takes at most 65,536")

    # The summary table's rows are the report's apps, cell for cell.
    rows, row = None, None  # rows: the summary table's body, once it starts
    depth = 0
    for token in tokens:
        if token.type == "table_open":
            depth += 1
        elif token.type == "table_close":
            depth -= 1
            if depth == 0:
                break
        elif token.type == "tbody_open":
            rows = []
        elif token.type == "tr_open" and rows is not None:
            row = []
        elif token.type == "tr_close" and row is not None:
            rows.append(row)
            row = None
        elif token.type == "inline" and row is not None:
            row.append(inline_text(token))
    rows = rows or []
    left_out = 0
    if stopped(report):
        # The table lists the diagnostics: file, line, column, severity, code.
        entries = report["diagnostics"]

        def dash(value):
            return "—" if value is None else str(value)

        if len(rows) != len(entries):
            problems.append(f"the table has {len(rows)} rows, the JSON report {len(entries)} diagnostics")
        for cells, d in zip(rows, entries, strict=False):  # counted above
            wanted = [dash(d["file"]), dash(d["line"]), dash(d["column"]), d["severity"], d["code"]]
            if cells[:5] != wanted:
                problems.append(f"row {cells} is not {wanted}")
    else:
        # Listed: every app but those in sync without warnings, failed first, then drifted,
        # then pending (`--base`), then in sync with warnings (a stable sort keeps the
        # report's order within each).
        rank = {"failed": 0, "drifted": 1, "pending": 2, "in_sync": 3}
        listed = sorted(
            (
                app
                for app in report["apps"]
                if app["status"] != "in_sync"
                or any(f["severity"] == "warning" for f in app["findings"])
            ),
            key=lambda app: rank[app["status"]],
        )
        left_out = len(listed) - len(rows)
        if left_out < 0:
            problems.append(f"the table has {len(rows)} rows, the JSON report {len(listed)} to list")
        elif left_out > 0:
            last = f"… {left_out} more app{'s' if left_out > 1 else ''}: see the JSON/SARIF report."
            if text.rstrip("\n").split("\n")[-1] != last:
                problems.append(f"{left_out} apps left out, and the last line is not {last!r}")
        elif listed and not blocks:
            problems.append("no summary table")
        for cells, app in zip(rows, listed, strict=False):  # counted above
            wanted = [app["file"], app["name"] or "", str(app["sdkappid"])]
            if cells[:3] != wanted:
                problems.append(f"row {cells} is not app {wanted}")
        in_sync = len(report["apps"]) - len(listed)
        if listed and in_sync:
            folded = (
                "1 app in sync is not listed."
                if in_sync == 1
                else f"{in_sync} apps in sync are not listed."
            )
            if f"\n{folded}\n" not in text:
                problems.append(f"no line {folded!r}")

    # A comment shows as nothing on GitHub. Other HTML it renders or strips: either way
    # the reader does not see the text the report meant to show.
    def html(token_list):
        for token in token_list:
            if token.type in ("html_block", "html_inline"):
                yield token
            yield from html(token.children or [])

    for token in html(tokens):
        if not re.fullmatch(r"<!--.*?-->\s*", token.content, re.S):
            problems.append(f"raw HTML: {token.content.strip()!r}")

    checks.record(
        not problems,
        f"markdown-it-py {md_path.name}: tables recognised ({len(tables)}), "
        f"a row per {'diagnostic' if stopped(report) else 'app listed'} ({len(rows)}, "
        f"{max(left_out, 0)} left out), {len(text)} characters, no raw HTML but comments",
        problems,
    )


def check_plan(checks, plan_path, report):
    """apply plans exactly the calls verify names: app by app, the same interface and
    body, and a call for every drifted app but one that only needs a person."""
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    problems = []
    planned = [(a["file"], a["sdkappid"], a["service"]) for a in plan["apps"]]
    reported = [(a["file"], a["sdkappid"], a["service"]) for a in report["apps"]]
    if planned != reported:
        problems.append(f"apps {planned} != {reported}")
    for app, verified in zip(plan["apps"], report["apps"]):
        fix = verified["remediation"] or {}
        if (app["interface"], app["body"]) != (fix.get("interface"), fix.get("body")):
            problems.append(f"{app['sdkappid']}: {app['interface']} {app['body']} != {fix}")
        failed = verified["status"] == "failed"
        if (app["action"] == "failed") != failed or (app["error"] is None) == failed:
            problems.append(f"{app['sdkappid']}: {app['action']} but {verified['status']}")
    counts = {key: 0 for key in ("create", "update", "delete", "unchanged", "failed")}
    for app in plan["apps"]:
        counts[app["action"]] += 1
    expected = dict(counts, apps=len(plan["apps"]),
                    by_hand=sum(1 for a in plan["apps"] if a["by_hand"]))
    if plan["summary"] != expected:
        problems.append(f"summary {plan['summary']} != {expected}")
    checks.record(
        not problems, f"{plan_path.name} plans the remediations of its JSON report", problems
    )


def check_applied(checks, path):
    """apply's outcome document: its summary counts its apps, and no secret is in it."""
    text = path.read_text(encoding="utf-8")
    applied = json.loads(text)
    problems = []
    outcomes = ("changed", "in_sync", "not_changed", "unknown", "by_hand", "failed")
    expected = {key: 0 for key in outcomes}
    for app in applied["apps"]:
        expected[app["outcome"]] += 1
    expected.update(apps=len(applied["apps"]),
                    needs_by_hand=sum(1 for a in applied["apps"] if a["by_hand"]))
    if applied["summary"] != expected:
        problems.append(f"summary {applied['summary']} != {expected}")
    for secret in ("placeholder-value", "token=t0", "fake-token"):
        if secret in text:
            problems.append(f"{secret!r} is shown")
    checks.record(not problems, f"applied/{path.name} counts its apps and hides secrets", problems)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outputs", type=Path, required=True)
    parser.add_argument("--examples", type=Path, required=True)
    parser.add_argument("--inputs", type=Path, action="append", default=[])
    parser.add_argument("--schemas", type=Path, required=True)
    parser.add_argument("--check-jsonschema", required=True)
    parser.add_argument("--sarif-multitool", required=True)
    parser.add_argument("--sarif-multitool-config", type=Path, required=True)
    parser.add_argument("--summary", type=Path, required=True)
    args = parser.parse_args()

    checks = Checks()
    outputs = args.outputs
    lint_reports = sorted(outputs.glob("*.lint.json"))
    reports = sorted(p for p in outputs.glob("*.json") if p not in lint_reports)
    check_schemas(
        checks,
        args.check_jsonschema,
        args.schemas,
        sorted(args.examples.glob("*.yaml")) + args.inputs,
        reports,
        lint_reports,
    )
    plans = sorted((outputs / "plans").glob("*.json"))
    validate_against(checks, args.check_jsonschema, args.schemas / "plan.schema.json", plans)
    for plan_path in plans:
        report_path = outputs / f"verify-{plan_path.name}"
        if not report_path.exists():
            checks.record(False, f"{report_path.name} was generated beside {plan_path.name}")
            continue
        try:
            check_plan(checks, plan_path, json.loads(report_path.read_text(encoding="utf-8")))
        except (KeyError, TypeError, ValueError) as error:
            checks.record(False, f"{plan_path.name} compared with {report_path.name}", [repr(error)])
    applied = sorted((outputs / "applied").glob("*.json"))
    validate_against(checks, args.check_jsonschema, args.schemas / "apply.schema.json", applied)
    for applied_path in applied:
        try:
            check_applied(checks, applied_path)
        except (KeyError, TypeError, ValueError) as error:
            checks.record(False, f"{applied_path.name}: summary", [repr(error)])
    sarif_files = sorted(outputs.glob("*.sarif"))
    if sarif_files:
        check_sarif(checks, args.sarif_multitool, args.sarif_multitool_config, sarif_files)
    else:
        checks.record(False, "SARIF outputs were generated")
    for report_path in reports:
        try:
            check_status(checks, report_path, json.loads(report_path.read_text(encoding="utf-8")))
        except (KeyError, TypeError, ValueError) as error:
            checks.record(False, f"{report_path.name}: status", [repr(error)])
        checks_beside = [(".xml", check_junit), (".md", check_markdown)]
        if report_path.name.startswith("verify-"):
            checks_beside.append((".prom", check_prometheus))
        for suffix, check in checks_beside:
            other = report_path.with_suffix(suffix)
            if not other.exists():
                checks.record(False, f"{other.name} was generated beside {report_path.name}")
                continue
            try:
                check(checks, other, json.loads(report_path.read_text(encoding="utf-8")))
            except (KeyError, TypeError, ValueError) as error:
                # A report that is not what its schema says cannot be compared with.
                checks.record(
                    False, f"{other.name} compared with {report_path.name}", [repr(error)]
                )
    args.summary.write_text(f"{checks.count} {checks.failed}\n", encoding="utf-8")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
