#!/usr/bin/env python3
"""Check generated Dockerfiles with BuildKit's own parser.

Every `Dockerfile` / `*.Dockerfile` under the given directories must parse.
Where a `NAME.expect.json` sits beside `NAME.Dockerfile` (written by
tests/hostile.rs), the parse must give exactly the expected instruction
keywords and, for exec-form instructions, exactly the expected arguments.
"""

import json
import pathlib
import sys

import dockerfile


def dockerfiles(root):
    for path in sorted(pathlib.Path(root).rglob("*")):
        if path.is_file() and (path.name == "Dockerfile" or path.name.endswith(".Dockerfile")):
            yield path


def check(path):
    commands = dockerfile.parse_file(str(path))
    expect_path = path.with_name(path.name[: -len(".Dockerfile")] + ".expect.json")
    if not expect_path.exists():
        return None
    expect = json.loads(expect_path.read_text())
    keywords = [c.cmd.upper() for c in commands]
    if keywords != expect["keywords"]:
        return f"instructions {keywords} != expected {expect['keywords']}"
    exec_form = expect.get("exec")
    if exec_form:
        found = next((c for c in commands if c.cmd.upper() == exec_form["keyword"]), None)
        if found is None:
            return f"no {exec_form['keyword']}"
        args = list(found.value)
        if exec_form["keyword"] == "HEALTHCHECK":
            if not args or args[0] != "CMD":
                return f"HEALTHCHECK without CMD: {args}"
            args = args[1:]
        if not found.json or args != exec_form["args"]:
            return f"{exec_form['keyword']} parsed as {args} (json={found.json}), expected {exec_form['args']}"
    return None


def main(roots):
    checked = failed = 0
    for root in roots:
        for path in dockerfiles(root):
            checked += 1
            try:
                problem = check(path)
            except dockerfile.GoParseError as error:
                problem = f"does not parse: {error}"
            if problem:
                failed += 1
                print(f"FAIL {path}: {problem}")
    print(f"BuildKit parser: {checked - failed} passed, {failed} failed")
    if checked == 0:
        print("no Dockerfiles found", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
