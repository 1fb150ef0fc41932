"""Compatibility table: check x runtime -> pass/fail/skip.

The client test modules (tests/integration/test_podman.py, test_containerd.py) each have an
autouse session fixture that calls `install(config)`. That registers one plugin object (once
per session) which hears every test report, prints a result row per test and, at the end of the
session, prints the whole table and writes it into the generated section of
docs/compatibility.md.

Test ids follow `test_<check>[<runtime>-<image>]` or `test_<check>[<runtime>]`; a module names
its client and describes its checks with `describe(client, module_file, {func: text})`.
"""
import datetime
import os
import re
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(REPO, "docs", "compatibility.md")
BEGIN = "<!-- BEGIN GENERATED: tests/oci/results.py -->"
END = "<!-- END GENERATED -->"
PLUGIN_NAME = "vse-oci-compat-table"

_CLIENTS = {}   # module basename -> (client, {func: description})


def describe(client, module_file, checks, runtimes=("runc", "vse", "crun")):
    _CLIENTS[os.path.basename(module_file)] = (client, dict(checks), tuple(runtimes))


class Table:
    def __init__(self, config):
        self.config = config
        self.rows = {}          # (client, check, image) -> {runtime: outcome}
        self.reasons = {}       # (client, check, image, runtime) -> short text
        self.runtimes = []

    def _key(self, nodeid):
        path, _, rest = nodeid.partition("::")
        mod = os.path.basename(path)
        if mod not in _CLIENTS:
            return None
        client, checks, known = _CLIENTS[mod]
        m = re.match(r"(test_\w+)(?:\[(.*)\])?$", rest)
        if not m:
            return None
        func, params = m.group(1), (m.group(2) or "")
        parts = params.split("-") if params else []
        runtime = next((p for p in parts if p in known), "-")
        rest_parts = [p for p in parts if p != runtime]
        image = "-".join(rest_parts) if rest_parts else "-"
        return client, checks.get(func, func), image, runtime

    def _write(self, text):
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.write_line(text)
        else:
            print(text)

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report):
        key = self._key(report.nodeid)
        if key is None:
            return
        client, check, image, runtime = key
        row = self.rows.setdefault((client, check, image), {})
        if runtime not in self.runtimes:
            self.runtimes.append(runtime)
        outcome = None
        if report.when == "call":
            outcome = "pass" if report.passed else ("skip" if report.skipped else "FAIL")
        elif report.failed:           # setup or teardown error
            outcome = "FAIL"
        elif report.skipped:
            outcome = "skip"
        if outcome is None:
            return
        if row.get(runtime) == "FAIL" and outcome != "FAIL":
            return                    # a teardown pass must not hide a call failure
        row[runtime] = outcome
        reason = ""
        if outcome == "skip" and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2])
        elif outcome == "FAIL" and report.longrepr is not None:
            crash = getattr(report.longrepr, "reprcrash", None)
            reason = crash.message if crash is not None else str(report.longrepr)
            lines = [l.strip() for l in reason.splitlines() if l.strip()]
            # the client's own error line says most ("Error: vse: ...", "ctr: ...")
            reason = next((l for l in lines[1:] if "Error:" in l or "ctr:" in l),
                          lines[0] if lines else "")
        self.reasons[(client, check, image, runtime)] = reason
        self._write(f"RESULT {client:10} {check:38} {image:6} {runtime:5} {outcome}"
                    + (f"  ({reason[:100]})" if reason else ""))

    def markdown(self, earlier=None):
        """Table lines, totals and notes. `earlier` (rows parsed from the previous document)
        fills the cells this session did not run; they are marked with a star."""
        earlier = earlier or {}
        runtimes = list(self.runtimes)
        for cells in earlier.values():
            runtimes += [r for r in cells if r not in runtimes]
        runtimes.sort(key=lambda r: (r != "runc", r))
        lines = ["| client | check | image | " + " | ".join(runtimes) + " |",
                 "|---|---|---|" + "---|" * len(runtimes)]
        for key in sorted(set(self.rows) | set(earlier)):
            now, old = self.rows.get(key, {}), earlier.get(key, {})
            cells = []
            for r in runtimes:
                if r in now:
                    cells.append(now[r])
                elif r in old and old[r] != "not run":
                    cells.append(old[r].rstrip("*") + "*")
                else:
                    cells.append("not run")
            lines.append(f"| {key[0]} | {key[1]} | {key[2]} | " + " | ".join(cells) + " |")
        totals = []
        for r in runtimes:
            vals = [c.get(r) for c in self.rows.values()]
            totals.append(f"{r}: {vals.count('pass')} pass, {vals.count('FAIL')} fail, "
                          f"{vals.count('skip')} skip")
        notes = []
        for (client, check, image, runtime), why in sorted(self.reasons.items()):
            if why and self.rows[(client, check, image)].get(runtime) in ("FAIL", "skip"):
                notes.append(f"- {client} / {check} / {image} / {runtime}: "
                             f"{why[:300].replace('|', '/')}")
        return lines, totals, notes

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session):
        if not self.rows:
            return
        lines, totals, notes = self.markdown(read_table(DOC))
        self._write("")
        self._write("Client compatibility (check x runtime):")
        for l in lines:
            self._write(l)
        for t in totals:
            self._write("  " + t)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        args = " ".join(self.config.invocation_params.args) or "(default selection)"
        section = [BEGIN, "",
                   f"Generated {stamp} by `pytest {args}` "
                   f"(VSE_BIN={os.environ.get('VSE_BIN', 'default')}).", "",
                   *lines, "",
                   "Totals (this session): " + "; ".join(totals) + ".",
                   "A cell marked * was not run in this session: it is the result of an "
                   "earlier session, kept from the previous version of this file.", ""]
        if notes:
            section += ["Why each failure or skip happened (first line of the error):", "",
                        *notes, ""]
        section.append(END)
        write_section(DOC, "\n".join(section))


def read_table(path):
    """{(client, check, image): {runtime: cell}} from the generated section of `path`."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return {}
    if BEGIN not in text or END not in text:
        return {}
    body = text[text.index(BEGIN):text.index(END)]
    rows, header = {}, None
    for line in body.splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[:3] == ["client", "check", "image"]:
            header = cells[3:]
            continue
        if header and len(cells) == 3 + len(header):
            rows[tuple(cells[:3])] = dict(zip(header, cells[3:]))
    return rows


def write_section(path, section):
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = "# Client compatibility\n\n"
    if BEGIN in text and END in text:
        head = text[:text.index(BEGIN)]
        tail = text[text.index(END) + len(END):]
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def install(config):
    if config.pluginmanager.get_plugin(PLUGIN_NAME) is None:
        config.pluginmanager.register(Table(config), PLUGIN_NAME)
    return config.pluginmanager.get_plugin(PLUGIN_NAME)


if __name__ == "__main__":
    sys.exit("imported by the client tests; not a script")
